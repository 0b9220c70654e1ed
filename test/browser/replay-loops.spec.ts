import { expect, test } from "@playwright/test";
import { api, query } from "../support/browser-trpc";

// A run through a for-each loop, replayed: the loop's edges say how many passes took them (×N),
// counted up to the point shown, and the side panel shows a large input (the trigger's list of
// items) by its first lines with the rest one click away.

const SHOTS = "test-results/screenshots";
const ITEMS = 70;

test("a loop's back edge counts its passes up to the point shown, and a long input opens in full on request", async ({ page }) => {
  await page.goto("/");
  const graph = {
    schemaVersion: 1,
    nodes: [
      { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 0 }, config: {} },
      { id: "each", type: "loop.forEach", typeVersion: 1, label: "Each order", position: { x: 300, y: 0 }, config: { items: "input.orders", maxItems: 100 } },
      { id: "bill", type: "data.transform", typeVersion: 1, label: "Bill", position: { x: 600, y: 160 }, config: { expression: "{ 'order': outputs.each.item }" } },
      { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 600, y: -160 }, config: {} },
    ],
    edges: [
      { id: "e1", source: "start", sourcePort: "out", target: "each", targetPort: "in" },
      { id: "e2", source: "each", sourcePort: "item", target: "bill", targetPort: "in" },
      { id: "back", source: "bill", sourcePort: "out", target: "each", targetPort: "in" },
      { id: "e4", source: "each", sourcePort: "done", target: "done", targetPort: "in" },
    ],
  };
  const wf = await api(page, "workflow.create", { name: "Loop replay", graph });
  await api(page, "workflow.publish", { id: wf.id });
  const orders = Array.from({ length: ITEMS }, (_, i) => `O-${i + 1}`);
  const run = await api(page, "run.start", { workflow: wf.id, input: { orders } });
  await expect.poll(async () => (await query(page, "run.get", { id: run.id })).status, { timeout: 60_000 }).toBe("succeeded");
  const events = (await query(page, "run.events", { id: run.id })) as { seq: number; type: string; nodeId: string | null }[];
  const billed = events.filter((e) => e.type === "node.completed" && e.nodeId === "bill");
  expect(billed).toHaveLength(ITEMS);

  // The back edge's label: only a count, since it leaves Bill by its plain `out` port.
  const backLabel = page.getByTestId("edge-label").filter({ hasText: /^×\d+$/ });

  // After the third pass: three trips back, three into the body.
  await page.goto(`/runs/${run.id}?step=${billed[2]!.seq}`);
  await expect(page.getByTestId("replay-position")).toHaveText(`${billed[2]!.seq} / ${events.length}`);
  await expect(backLabel).toHaveText("×3");
  await expect(backLabel).toHaveAttribute("data-taken", "3");
  await expect(page.getByTestId("edge-label").filter({ hasText: /^item/ })).toHaveText("item ×3");
  // One step on (Each entered again) the count holds; at the end it is every pass.
  await page.keyboard.press("ArrowRight");
  await expect(backLabel).toHaveText("×3");
  await page.keyboard.press("End");
  await expect(page.getByTestId("replay-position")).toHaveText(`${events.at(-1)!.seq} / ${events.length}`);
  await expect(backLabel).toHaveText(`×${ITEMS}`);
  await expect(page.getByTestId("edge-label").filter({ hasText: /^item/ })).toHaveText(`item ×${ITEMS}`);
  // The loop left once by `done`: a port label without a count.
  await expect(page.getByTestId("edge-label").filter({ hasText: /^done/ })).toHaveText("done");
  await page.screenshot({ path: `${SHOTS}/replay-loop-counts.png` });

  // Each order's input carries the trigger's whole list: its first lines, then all on request.
  await page.locator('[data-testid="canvas-node"][data-node-id="each"] .kn-head').click();
  const input = page.getByTestId("step-input");
  await expect(input).toContainText(`"O-1"`);
  // (The next-to-last order: only the trigger's list holds it; Bill's last output is the last.)
  await expect(input).not.toContainText(`"O-${ITEMS - 1}"`);
  await input.getByRole("button", { name: /^Show all \d+ lines$/ }).click();
  await expect(input).toContainText(`"O-${ITEMS - 1}"`);
  await expect(input.getByRole("button")).toHaveCount(0);
});
