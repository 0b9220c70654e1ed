import { expect, test } from "@playwright/test";
import { connect, dragFromPalette, newWorkflow } from "./editor-support";

// A refused connection says why while it is being dragged: beside the pointer, in the status
// line above the canvas, and to screen readers. Screenshot: test-results/editor-refused-connection.png.

test.use({ viewport: { width: 1280, height: 800 } });

test("a refused connection shows its reason while dragging: onto the same node, and a duplicate edge", async ({ page }) => {
  await newWorkflow(page, "Refusals");
  await dragFromPalette(page, "trigger.manual", { x: 100, y: 150 });
  await dragFromPalette(page, "notify.operator", { x: 420, y: 150 });
  const edges = page.locator(".react-flow__edge");
  const status = page.getByTestId("connection-refusal");
  const tip = page.getByTestId("connection-refusal-tip");
  const announce = page.getByTestId("connection-refusal-announce");

  // From the operator's output back onto its own input.
  await connect(page, "operator_1", "out", "operator_1", async () => {
    await expect(tip).toHaveText("A node cannot connect to itself.");
    await expect(status).toHaveText("Cannot connect: A node cannot connect to itself.");
    await expect(announce).toHaveText("Cannot connect: A node cannot connect to itself.");
    await page.screenshot({ path: "test-results/editor-refused-connection.png" });
    // Off every port nothing would be connected: the tip goes, the status line keeps the reason.
    const canvas = (await page.getByTestId("workflow-canvas").boundingBox())!;
    await page.mouse.move(canvas.x + canvas.width / 2, canvas.y + canvas.height - 60, { steps: 5 });
    await expect(tip).toHaveCount(0);
    await expect(status).toHaveText("Cannot connect: A node cannot connect to itself.");
  });
  await expect(edges).toHaveCount(0);
  // Released: the tip goes with the pointer, the status line stays a moment, then clears.
  await expect(tip).toHaveCount(0);
  await expect(status).toHaveCount(0, { timeout: 10_000 });
  await expect(announce).toHaveText("");

  // An output dropped onto another output: React Flow refuses it by itself, the tip says why.
  const from = (await page.locator('.react-flow__node[data-id="manual_1"] .react-flow__handle.source').boundingBox())!;
  const onto = (await page.locator('.react-flow__node[data-id="operator_1"] .react-flow__handle.source').boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + 40, from.y + 10, { steps: 5 });
  await page.mouse.move(onto.x + onto.width / 2, onto.y + onto.height / 2, { steps: 10 });
  await expect(tip).toHaveText("Connect an output port to an input port.");
  await page.mouse.up();
  await expect(edges).toHaveCount(0);

  // A valid connection shows no reason and is made.
  await connect(page, "manual_1", "out", "operator_1", async () => {
    await expect(tip).toHaveCount(0);
    await expect(status).toHaveCount(0);
  });
  await expect(edges).toHaveCount(1);

  // The same connection again is a duplicate.
  await connect(page, "manual_1", "out", "operator_1", async () => {
    await expect(tip).toContainText("already");
    await expect(status).toContainText("Cannot connect:");
    await expect(announce).toContainText("already");
  });
  await expect(edges).toHaveCount(1);
});
