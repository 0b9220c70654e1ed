import { expect, test } from "@playwright/test";

test("an API token is shown once, works, and stops working when revoked", async ({ page }) => {
  await page.goto("/settings");
  await page.getByLabel("Name").fill("browser test token");
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token");
  await expect(shown).toContainText("browser test token");
  const token = (await shown.locator("code").textContent())!.trim();
  expect(token).toMatch(/^keel_/);

  const withToken = { headers: { authorization: `Bearer ${token}` } };
  expect((await page.request.fetch("/api/trpc/workflow.list", { ...withToken, headers: { ...withToken.headers, cookie: "" } })).status()).toBe(200);

  // After a reload the token is not shown again; only its prefix is listed.
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  const row = page.getByTestId("token-table").getByRole("row").filter({ hasText: "browser test token" });
  await expect(row).toContainText(token.slice(0, 11));
  await expect(row).not.toContainText(token);
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  expect((await page.request.fetch("/api/trpc/workflow.list", { headers: { ...withToken.headers, cookie: "" } })).status()).toBe(401);
});

test("the retention period can be changed, and the change is in the audit log", async ({ page }) => {
  await page.goto("/settings");
  const days = page.getByLabel("Keep run payloads for");
  await expect(days).toHaveValue("90");
  await days.fill("45");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Keep run payloads for")).toHaveValue("45");
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").filter({ hasText: "settings.update" }).first()).toContainText("runPayloadDays: 45");
});

test("the engine's global switch pauses and resumes all work", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByTestId("engine-state")).toHaveText("Runs are being worked.");
  await page.getByRole("button", { name: "Pause all work" }).click();
  await expect(page.getByTestId("engine-state")).toHaveText("All work is paused.");
  await page.reload();
  await expect(page.getByTestId("engine-state")).toHaveText("All work is paused.");
  await page.getByRole("button", { name: "Resume all work" }).click();
  await expect(page.getByTestId("engine-state")).toHaveText("Runs are being worked.");
});
