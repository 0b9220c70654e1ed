import { expect, test } from "@playwright/test";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, draft, dragFromPalette, newWorkflow, saved, select, typeExpression } from "./editor-support";

test.use({ viewport: { width: 1280, height: 800 } });

test("a workflow drawn in the editor, exported and imported again, has an equal graph", async ({ page }) => {
  const id = await newWorkflow(page, "Round trip");
  await dragFromPalette(page, "trigger.manual", { x: 100, y: 150 });
  await dragFromPalette(page, "logic.if", { x: 380, y: 150 });
  await connect(page, "manual_1", "out", "if_1");
  await select(page, "if_1");
  await typeExpression(page, "condition", "input.total >= 10");
  await saved(page);

  // The compiled statechart, read-only, and its export.
  await page.getByRole("button", { name: "Statechart" }).click();
  const chart = page.getByTestId("statechart-json");
  await expect(chart).toContainText('"if_1"');
  await expect(chart).toContainText('"states"');
  await page.screenshot({ path: "test-results/editor-statechart.png" });
  const chartDownload = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export statechart" }).click();
  const machine = JSON.parse(readFileSync(await (await chartDownload).path(), "utf8"));
  expect(JSON.stringify(machine)).toContain("manual_1");
  await page.keyboard.press("Escape");

  await page.getByRole("tab", { name: "Publish" }).click();
  const download = page.waitForEvent("download");
  await page.getByTestId("publish-panel").getByRole("button", { name: "Export" }).click();
  const file = await (await download).path();
  const exported = JSON.parse(readFileSync(file, "utf8"));

  await page.goto("/workflows"); // the import button lives on the workflows list
  await page.getByTestId("import-input").setInputFiles(file);
  await expect(page).toHaveURL(/\/workflows\/[^/]+$/);
  await expect(page.getByTestId("canvas-node")).toHaveCount(2);
  const importedId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
  expect(importedId).not.toBe(id);
  const { revision: _a, ...original } = await draft(page, id);
  const { revision: _b, ...imported } = await draft(page, importedId);
  expect(imported).toEqual(original);
  expect(exported.graph).toEqual({ schemaVersion: 1, ...original });
});

test("a malformed import lists its problems", async ({ page }, testInfo) => {
  // Well-formed but wrong: imported, and the editor lists what to fix.
  const wrong = testInfo.outputPath("wrong.keel.json");
  writeFileSync(
    wrong,
    JSON.stringify({
      format: "keel.workflow",
      formatVersion: 1,
      name: "Imported with problems",
      graph: {
        schemaVersion: 1,
        nodes: [
          { id: "start", type: "trigger.manual", typeVersion: 1, position: { x: 0, y: 0 } },
          { id: "beam", type: "data.teleport", typeVersion: 1, position: { x: 300, y: 0 } },
        ],
        edges: [
          { id: "e1", source: "start", target: "beam" },
          { id: "e2", source: "start", target: "nowhere" },
        ],
      },
    }),
  );
  await page.goto("/workflows"); // the import button lives on the workflows list
  await page.getByTestId("import-input").setInputFiles(wrong);
  await expect(page).toHaveURL(/\/workflows\/[^/]+$/);
  const problems = page.getByTestId("problems-panel");
  await expect(problems).toContainText("there is no node type 'data.teleport'");
  await expect(problems).toContainText("'nowhere', which is not a node");
  await expect(page.locator('[data-node-id="beam"]').getByTestId("node-problem")).toBeVisible();
  await page.screenshot({ path: "test-results/editor-import-problems.png" });

  // Not a graph at all: refused, naming the field.
  const broken = testInfo.outputPath("broken.keel.json");
  writeFileSync(broken, JSON.stringify({ format: "keel.workflow", formatVersion: 1, name: "Broken", graph: { schemaVersion: 1, nodes: "none", edges: [] } }));
  await page.goto("/workflows"); // the import button lives on the workflows list
  await page.getByTestId("import-input").setInputFiles(broken);
  await expect(page.getByRole("alert").filter({ hasText: "cannot be imported" })).toContainText("graph.nodes");
});
