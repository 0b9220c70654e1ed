import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { api } from "../support/browser-trpc";

test("a draft with problems lists them and cannot be published; a valid one publishes and rolls back", async ({ page }) => {
  await page.goto("/");
  const broken = structuredClone(CONSTRUCTS.linear!);
  broken.nodes[1]!.config = { expression: "input.a +" };
  const wf = await api(page, "workflow.create", { name: "Publish me", graph: broken });

  await page.goto(`/workflows/${wf.id}`);
  // Publishing lives in the editor's side panel, behind its Publish tab.
  const openPublish = () => page.getByRole("tab", { name: "Publish" }).click();
  await openPublish();
  const panel = page.getByTestId("publish-panel");
  await expect(panel.getByTestId("draft-problems")).toContainText("1 problem to fix before publishing Publish me");
  await expect(panel.getByTestId("draft-problems")).toContainText("shape");
  await expect(panel.getByRole("button", { name: "Publish" })).toBeDisabled();

  await api(page, "workflow.saveDraft", { id: wf.id, graph: CONSTRUCTS.linear });
  await page.reload();
  await openPublish();
  await expect(panel.getByTestId("draft-valid")).toBeVisible();
  await panel.getByLabel("Notes").fill("first");
  await panel.getByRole("button", { name: "Publish" }).click();
  await expect(panel.getByRole("status").filter({ hasText: "Published version 1." })).toBeVisible();
  await expect(page.getByText("v1 published")).toBeVisible();

  await api(page, "workflow.saveDraft", { id: wf.id, graph: CONSTRUCTS["if-else-merge"] });
  await page.reload();
  await openPublish();
  await panel.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("v2 published")).toBeVisible();
  const table = panel.getByTestId("version-table");
  await table.getByRole("row").filter({ hasText: "first" }).getByRole("button", { name: "Make current" }).click();
  await expect(table.getByRole("row").filter({ hasText: "first" })).toContainText("current");
  await expect(page.getByText("v1 published")).toBeVisible();
});

test("a workflow exported from one page imports as a new draft", async ({ page }) => {
  await page.goto("/");
  const wf = await api(page, "workflow.create", { name: "Travel kit", graph: CONSTRUCTS["parallel-join"] });
  await page.goto(`/workflows/${wf.id}`);
  await page.getByRole("tab", { name: "Publish" }).click();
  const download = page.waitForEvent("download");
  await page.getByTestId("publish-panel").getByRole("button", { name: "Export" }).click();
  const file = await (await download).path();
  const exported = JSON.parse(readFileSync(file, "utf8"));
  expect(exported).toMatchObject({ format: "keel.workflow", name: "Travel kit" });

  await page.goto("/workflows");
  await page.getByTestId("import-input").setInputFiles(file);
  await expect(page).toHaveURL(/\/workflows\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: "Travel kit" })).toBeVisible();
  await expect(page.getByTestId("canvas-node")).toHaveCount(CONSTRUCTS["parallel-join"]!.nodes.length);
  expect(page.url()).not.toContain(wf.id);
});
