import { expect, test } from "@playwright/test";
import { rememberThroughRuns } from "../support/browser-memory";

test("the memory page lists subjects, shows a timeline with provenance, searches by meaning, and forgets after confirmation", async ({ page }) => {
  await page.goto("/memory");
  await rememberThroughRuns(page, "contact:lovelace@example.test", ["Prefers to be contacted by email, never by phone.", "She loves hiking in the Alps on weekends."]);
  await rememberThroughRuns(page, "project:garden", ["The tomatoes need watering every evening."]);

  await page.goto("/memory");
  const row = page.getByTestId("memory-subject-row").filter({ hasText: "contact:lovelace@example.test" });
  await expect(row).toContainText("2");

  // Search by meaning, across subjects: the garden item shares no word with the query.
  await page.getByLabel("Find").fill("What should we do for the plants?");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("memory-result").first()).toContainText("The tomatoes need watering every evening.");

  await row.getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("contact:lovelace@example.test");
  const items = page.getByTestId("memory-item");
  await expect(items).toHaveCount(2);
  await expect(items.first()).toContainText("She loves hiking in the Alps on weekends.");
  await expect(items.first().getByRole("link")).toHaveAttribute("href", /^\/runs\/[^/]+$/);
  await expect(items.first()).toContainText("remember");

  // Forgetting asks first; cancelling keeps everything.
  await page.getByRole("button", { name: "Forget this subject…" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(items).toHaveCount(2);
  await page.getByRole("button", { name: "Forget this subject…" }).click();
  await page.getByRole("button", { name: "Yes, forget" }).click();
  await expect(page).toHaveURL(/\/memory$/);
  await expect(page.getByTestId("memory-subject-row").filter({ hasText: "contact:lovelace@example.test" })).toHaveCount(0);
  await expect(page.getByTestId("memory-subject-row").filter({ hasText: "project:garden" })).toHaveCount(1);
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").filter({ hasText: "memory.forget" }).first()).toContainText("items: 2");
});

test("retention per kind is saved on the memory page and refused with the field named when wrong", async ({ page }) => {
  await page.goto("/memory");
  await page.getByLabel("Keep items of kind").fill("support");
  await page.getByLabel("for", { exact: true }).fill("180");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByTestId("memory-retention")).toContainText("180 days");
  await page.reload();
  await expect(page.getByTestId("memory-retention")).toContainText("support");
  await page.getByLabel("Keep items of kind").fill("Not A Kind");
  await page.getByLabel("for", { exact: true }).fill("5");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "kinds" })).toContainText("kinds.Not A Kind: a kind must be lowercase letters, digits, _ or -");
});
