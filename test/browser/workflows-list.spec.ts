import { expect, test, type Page } from "@playwright/test";
import { TEMPLATES } from "../../prisma/templates";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { api } from "../support/browser-trpc";

const item = (page: Page, name: string) => page.getByTestId("workflow-item").filter({ has: page.getByRole("link", { name, exact: true }) });

async function action(page: Page, name: string, menuItem: string) {
  await page.getByRole("button", { name: `Actions for ${name}`, exact: true }).click();
  await page.getByRole("menuitem", { name: menuItem }).click();
}

test.use({ viewport: { width: 1280, height: 800 } });

test("the workflows list creates, renames, duplicates, archives, deletes and searches", async ({ page }) => {
  await page.goto("/workflows");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" })).toHaveClass(/active/);
  await page.screenshot({ path: "test-results/screenshots/workflows-list.png" });

  // New from a template: the editor opens on a copy of the template's graph.
  const template = TEMPLATES.find((t) => t.slug === "support-triage") ?? TEMPLATES[0]!;
  await page.getByRole("button", { name: "New workflow" }).click();
  const dialog = page.getByRole("dialog", { name: "New workflow" });
  await expect(dialog).toBeVisible();
  await page.screenshot({ path: "test-results/screenshots/workflows-new-dialog.png" });
  await dialog.getByLabel(/^Name/).fill("Triage for the shop");
  await dialog.getByRole("radio", { name: new RegExp(template.name) }).check();
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/workflows\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: "Triage for the shop" })).toBeVisible();
  await expect(page.getByTestId("canvas-node")).toHaveCount(template.graph.nodes.length);

  // New blank, by keyboard only: the dialog's name field has focus, Enter submits.
  await page.goto("/workflows");
  await page.getByRole("button", { name: "New workflow" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog", { name: "New workflow" }).getByLabel(/^Name/)).toBeFocused();
  await page.keyboard.type("Blank slate");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Blank slate" })).toBeVisible();
  await expect(page.getByTestId("canvas-node")).toHaveCount(0);

  // Rename, with an empty name refused naming the field first.
  await page.goto("/workflows");
  await action(page, "Blank slate", "Rename…");
  const rename = page.getByRole("dialog", { name: "Rename 'Blank slate'" });
  await rename.getByLabel("Name").fill("   ");
  await rename.getByRole("button", { name: "Rename" }).click();
  await expect(rename.getByRole("alert")).toContainText("name");
  await rename.getByLabel("Name").fill("Clean slate");
  await rename.getByRole("button", { name: "Rename" }).click();
  await expect(rename).toHaveCount(0);
  await expect(item(page, "Clean slate")).toHaveCount(1);
  await expect(item(page, "Blank slate")).toHaveCount(0);

  // Duplicate opens the copy.
  await action(page, "Clean slate", "Duplicate");
  await expect(page.getByRole("heading", { level: 1, name: "Clean slate (copy)" })).toBeVisible();

  // Search narrows the list; no match says so.
  await page.goto("/workflows");
  await page.getByRole("searchbox", { name: "Search workflows" }).fill("clean SLATE");
  await expect(page.getByTestId("workflow-item")).toHaveCount(2);
  await expect(item(page, "Clean slate")).toHaveCount(1);
  await expect(item(page, "Clean slate (copy)")).toHaveCount(1);
  await page.getByRole("searchbox", { name: "Search workflows" }).fill("zzz nothing");
  await expect(page.getByText("No workflow matches 'zzz nothing'.")).toBeVisible();
  await page.getByRole("searchbox", { name: "Search workflows" }).fill("");

  // Archive asks first; Cancel keeps it, Archive moves it to the archived list.
  await action(page, "Clean slate (copy)", "Archive…");
  const confirm = page.getByRole("dialog", { name: "Archive 'Clean slate (copy)'?" });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(item(page, "Clean slate (copy)")).toHaveCount(1);
  await action(page, "Clean slate (copy)", "Archive…");
  await confirm.getByRole("button", { name: "Archive" }).click();
  await expect(item(page, "Clean slate (copy)")).toHaveCount(0);
  await page.getByLabel("Show archived").check();
  await expect(item(page, "Clean slate (copy)")).toHaveCount(1);

  // Delete asks first, then deletes for good.
  await action(page, "Clean slate (copy)", "Delete…");
  const del = page.getByRole("dialog", { name: "Delete 'Clean slate (copy)'?" });
  await page.screenshot({ path: "test-results/screenshots/workflows-delete-dialog.png" });
  await del.getByRole("button", { name: "Delete" }).click();
  await expect(del).toHaveCount(0);
  await expect(page.getByText("No archived workflows.")).toBeVisible();
  const all = (await (await page.request.get("/api/trpc/workflow.list")).json()).result.data as { name: string }[];
  expect(all.map((w) => w.name)).not.toContain("Clean slate (copy)");
});

test("a workflow with runs shows its last run and waiting approvals, and refuses deletion in the dialog", async ({ page }) => {
  await page.goto("/workflows");
  const wf = await api(page, "workflow.create", { name: "Waits for a yes", graph: CONSTRUCTS["approval-delay-error"] });
  await api(page, "workflow.publish", { id: wf.id });
  const run = await api(page, "run.start", { workflow: wf.id, input: { subject: "hello" } });
  // keel start's worker takes the run to the approval.
  await expect
    .poll(async () => (await (await page.request.get(`/api/trpc/run.get?input=${encodeURIComponent(JSON.stringify({ id: run.id }))}`)).json()).result.data.status, { timeout: 20_000 })
    .toBe("waiting");

  await page.goto("/workflows");
  const row = item(page, "Waits for a yes");
  await expect(row.getByTestId("workflow-version")).toHaveText("v1");
  await expect(row.getByTestId("workflow-last-run")).toHaveText("waiting");
  await expect(row.getByTestId("workflow-waiting")).toHaveText("1 waiting");
  await page.screenshot({ path: "test-results/screenshots/workflows-list-runs.png" });

  await action(page, "Waits for a yes", "Delete…");
  const del = page.getByRole("dialog", { name: "Delete 'Waits for a yes'?" });
  await del.getByRole("button", { name: "Delete" }).click();
  await expect(del.getByRole("alert")).toHaveText("'Waits for a yes' has 1 run: archive it instead, so their history is kept.");
  await page.keyboard.press("Escape");
  await expect(del).toHaveCount(0);
  await expect(row).toHaveCount(1);
});
