import { expect, test } from "@playwright/test";
import { connect, draft, dragFromPalette, fitView, newWorkflow, node, nodePosition, saved, select, typeExpression } from "./editor-support";

// The editor, driven like an operator would: drawing from the palette, connecting ports,
// configuring in the side panel, live problems, publishing. Screenshots of its main states go
// to test-results/editor-*.png.

test.use({ viewport: { width: 1280, height: 800 } });

test("draw five nodes from a blank workflow, connect and configure them, fix a problem, publish", async ({ page }) => {
  const id = await newWorkflow(page, "Refund approvals");
  await expect(page.getByText("Drag a node here from the palette")).toBeVisible();
  await page.screenshot({ path: "test-results/editor-blank.png" });

  await dragFromPalette(page, "trigger.webhook", { x: 130, y: 80 });
  await dragFromPalette(page, "http.request", { x: 440, y: 80 });
  await dragFromPalette(page, "logic.if", { x: 130, y: 250 });
  await dragFromPalette(page, "human.approval", { x: 440, y: 250 });
  await dragFromPalette(page, "notify.operator", { x: 290, y: 410 }); // clear of the minimap and the controls
  await expect(page.getByTestId("canvas-node")).toHaveCount(5);
  await fitView(page);
  await page.screenshot({ path: "test-results/editor-five-nodes.png" });
  for (const nodeId of ["webhook_1", "request_1", "if_1", "approval_1", "operator_1"]) await expect(node(page, nodeId)).toBeVisible();
  // The approval is drawn as a pause point; the If shows both branches; the request its error port.
  await expect(node(page, "approval_1")).toHaveClass(/kn-pause/);
  await expect(node(page, "if_1").locator(".kn-port")).toHaveText(["true", "false"]);
  await expect(node(page, "request_1").locator(".kn-port-error")).toHaveText("on error");

  await connect(page, "webhook_1", "out", "request_1");
  await connect(page, "request_1", "out", "if_1");
  await connect(page, "if_1", "true", "approval_1");
  await connect(page, "approval_1", "approved", "operator_1");
  await expect(page.locator(".react-flow__edge")).toHaveCount(4);

  // A connection the engine would refuse (a loop without a loop node) is not made.
  await connect(page, "operator_1", "out", "request_1");
  await expect(page.locator(".react-flow__edge")).toHaveCount(4);

  // Configure in the side panel.
  await select(page, "request_1");
  await page.locator("#config-method").selectOption("POST");
  await typeExpression(page, "url", "https://payments.example/refunds/{{ input.order }}");
  await select(page, "approval_1");
  await typeExpression(page, "title", "Refund order {{ input.order }}?");
  await select(page, "operator_1");
  await typeExpression(page, "title", "Refund approved");

  // The If has no condition yet: the canvas and the problems panel say so, and publishing waits.
  await expect(node(page, "if_1").getByTestId("node-problem")).toBeVisible();
  await expect(page.getByTestId("problems-panel")).toContainText("condition");
  await expect(page.getByRole("button", { name: "Publish…" })).toBeDisabled();
  await page.screenshot({ path: "test-results/editor-problem.png" });
  await page.getByTestId("problem-item").filter({ hasText: "condition" }).click();
  await expect(page.getByTestId("node-panel")).toContainText("if_1");
  await typeExpression(page, "condition", "input.amount > 100");
  // Previewed against the sample data (no test run yet: an empty input), so nothing to compare.
  await expect(page.locator('[data-field="condition"]').getByTestId("expression-preview")).toHaveText("= (nothing)");
  await expect(page.getByTestId("problems-panel")).toContainText("No problems");
  await expect(node(page, "if_1").getByTestId("node-problem")).toHaveCount(0);
  await saved(page);
  await page.screenshot({ path: "test-results/editor-configured.png" });

  const stored = await draft(page, id);
  expect(stored.nodes.find((n) => n.id === "request_1")!.config).toMatchObject({ method: "POST", url: "https://payments.example/refunds/{{ input.order }}" });
  expect(stored.edges.map((e) => `${e.source}.${e.sourcePort}>${e.target}`).sort()).toEqual(
    ["approval_1.approved>operator_1", "if_1.true>approval_1", "request_1.out>if_1", "webhook_1.out>request_1"].sort(),
  );

  // The webhook trigger shows its address and a curl example.
  await select(page, "webhook_1");
  await expect(page.getByTestId("webhook-url")).toContainText("/api/webhooks/refund-approvals");
  await page.getByRole("button", { name: "Create signing secret" }).click();
  await expect(page.getByTestId("webhook-secret")).toContainText("whsec_");
  await expect(page.getByTestId("webhook-curl")).toContainText("whsec_");

  await page.getByRole("button", { name: "Publish…" }).click();
  const panel = page.getByTestId("publish-panel");
  await expect(panel.getByTestId("draft-valid")).toBeVisible();
  await panel.getByLabel("Notes").fill("first version");
  await panel.getByRole("button", { name: "Publish" }).click();
  await expect(panel.getByRole("status").filter({ hasText: "Published version 1." })).toBeVisible();
  await page.screenshot({ path: "test-results/editor-published.png" });
});

test("undo and redo a move, a delete and a config edit", async ({ page }) => {
  await newWorkflow(page, "Undo me");
  await dragFromPalette(page, "trigger.manual", { x: 100, y: 150 });
  await dragFromPalette(page, "notify.operator", { x: 420, y: 150 });
  await connect(page, "manual_1", "out", "operator_1");
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);

  // Move.
  const before = await nodePosition(page, "operator_1");
  const box = (await node(page, "operator_1").locator(".kn-head").boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + 10);
  await page.mouse.down();
  await page.mouse.move(box.x + 80, box.y + 120, { steps: 8 });
  await page.mouse.up();
  const after = await nodePosition(page, "operator_1");
  expect(after).not.toEqual(before);
  await page.keyboard.press("Control+z");
  await expect.poll(() => nodePosition(page, "operator_1")).toEqual(before);
  await page.keyboard.press("Control+Shift+z");
  await expect.poll(() => nodePosition(page, "operator_1")).toEqual(after);

  // Config edit: a burst of typing is one undo step.
  const title = page.locator('[data-field="title"] .cm-content');
  const body = page.locator('[data-field="body"] .cm-content');
  await select(page, "operator_1");
  await typeExpression(page, "title", "Hello there");
  await typeExpression(page, "body", "Body text"); // another field: another step
  await page.getByTestId("workflow-canvas").click({ position: { x: 10, y: 10 } });
  await page.keyboard.press("Control+z"); // the body
  await select(page, "operator_1");
  await expect(body).toHaveText("");
  await expect(title).toHaveText("Hello there");
  await page.getByTestId("workflow-canvas").click({ position: { x: 10, y: 10 } });
  await page.keyboard.press("Control+z"); // the title, all of it
  await select(page, "operator_1");
  await expect(title).toHaveText("");
  await page.getByRole("button", { name: "Redo" }).click();
  await expect(title).toHaveText("Hello there");

  // Delete (the node and its edge), then undo and redo it.
  await page.getByTestId("workflow-canvas").click({ position: { x: 10, y: 10 } });
  await select(page, "manual_1");
  await page.keyboard.press("Delete");
  await expect(page.getByTestId("canvas-node")).toHaveCount(1);
  await expect(page.locator(".react-flow__edge")).toHaveCount(0);
  await page.keyboard.press("Control+z");
  await expect(page.getByTestId("canvas-node")).toHaveCount(2);
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await page.keyboard.press("Control+y");
  await expect(page.getByTestId("canvas-node")).toHaveCount(1);
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByTestId("canvas-node")).toHaveCount(2);
});

test("config fields show the descriptor's help and examples; a typed value is one undo step, an inserted example another", async ({ page }) => {
  const id = await newWorkflow(page, "Field help");
  await dragFromPalette(page, "trigger.manual", { x: 100, y: 150 });
  await dragFromPalette(page, "flow.delay", { x: 420, y: 150 });
  await connect(page, "manual_1", "out", "delay_1");

  // A plain text field: typed with pauses shorter than the commit delay, undone whole.
  await select(page, "manual_1");
  const description = page.locator("#config-description");
  await expect(page.locator('[data-field="description"] .field-help')).toContainText("what input it expects");
  await description.click();
  await description.pressSequentially("Onboards a customer", { delay: 40 });
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(description).toHaveValue("");
  await page.getByRole("button", { name: "Redo" }).click();
  await expect(description).toHaveValue("Onboards a customer");
  await saved(page);
  expect((await draft(page, id)).nodes.find((n) => n.id === "manual_1")!.config.description).toBe("Onboards a customer");

  // The Wait has no duration: an example fixes it in one click, and one undo takes it back.
  await select(page, "delay_1");
  const duration = page.locator("#config-duration");
  await expect(node(page, "delay_1").getByTestId("node-problem")).toBeVisible();
  const examples = page.getByRole("group", { name: "Examples for Duration" });
  await expect(examples.getByRole("button")).toHaveText(["PT5M", "P2D"]);
  await page.screenshot({ path: "test-results/editor-field-help.png" });
  await examples.getByRole("button", { name: "P2D" }).click();
  await expect(duration).toHaveValue("P2D");
  await expect(node(page, "delay_1").getByTestId("node-problem")).toHaveCount(0);
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(duration).toHaveValue("");
  await expect(node(page, "delay_1").getByTestId("node-problem")).toBeVisible();
  // The description typed above is still there: the undo took back the example only.
  await select(page, "manual_1");
  await expect(description).toHaveValue("Onboards a customer");
});

test("copy a sub-graph and paste it in the same workflow and in another tab's workflow", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await newWorkflow(page, "Copy from");
  await dragFromPalette(page, "trigger.manual", { x: 80, y: 150 });
  await dragFromPalette(page, "logic.if", { x: 340, y: 150 });
  await dragFromPalette(page, "flow.end", { x: 600, y: 150 });
  await connect(page, "manual_1", "out", "if_1");
  await connect(page, "if_1", "true", "end_1");
  await select(page, "if_1");
  await node(page, "end_1").locator(".kn-head").click({ modifiers: ["Control"] });
  await page.keyboard.press("Control+c");
  await expect(page.getByTestId("editor-notice")).toContainText("Copied 2 node(s)");
  await page.keyboard.press("Control+v");
  await expect(page.getByTestId("canvas-node")).toHaveCount(5);
  await expect(node(page, "if_2")).toBeVisible();
  await expect(node(page, "end_2")).toBeVisible();
  await expect(page.locator(".react-flow__edge")).toHaveCount(3); // the inner edge came along, the one into the selection did not
  await page.screenshot({ path: "test-results/editor-pasted.png" });

  const other = await context.newPage();
  await other.setViewportSize({ width: 1280, height: 800 });
  await newWorkflow(other, "Paste into");
  await other.getByTestId("workflow-canvas").click({ position: { x: 200, y: 200 } });
  await other.keyboard.press("Control+v");
  await expect(other.getByTestId("canvas-node")).toHaveCount(2);
  await expect(other.locator(".react-flow__edge")).toHaveCount(1);
  await other.close();
});

test("a reload finds the draft intact, unsaved edits included, and leaving with unsaved edits asks first", async ({ page }) => {
  const id = await newWorkflow(page, "Reload me");
  await dragFromPalette(page, "trigger.manual", { x: 100, y: 150 });
  await dragFromPalette(page, "notify.operator", { x: 400, y: 150 });
  await connect(page, "manual_1", "out", "operator_1");
  await select(page, "operator_1");
  await typeExpression(page, "title", "Saved title");
  await saved(page);
  await page.reload();
  await expect(page.getByTestId("canvas-node")).toHaveCount(2);
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await select(page, "operator_1");
  await expect(page.locator('[data-field="title"] .cm-content')).toHaveText("Saved title");

  // An edit the server has not got yet: the reload asks first, and the edit survives it.
  const asked: string[] = [];
  page.on("dialog", (dialog) => {
    asked.push(dialog.type());
    void dialog.accept();
  });
  await page.route("**/api/trpc/workflow.saveDraft**", (route) => route.abort());
  await dragFromPalette(page, "flow.end", { x: 600, y: 300 });
  await expect(page.getByTestId("save-status")).toHaveAttribute("data-status", "failed", { timeout: 15_000 });
  await page.reload();
  expect(asked).toContain("beforeunload");
  await page.unroute("**/api/trpc/workflow.saveDraft**");
  await expect(page.getByTestId("draft-restored")).toBeVisible();
  await expect(page.getByTestId("canvas-node")).toHaveCount(3);
  await saved(page);
  expect((await draft(page, id)).nodes.map((n) => n.id).sort()).toEqual(["end_1", "manual_1", "operator_1"]);
});

test("a second tab's stale save is refused with a choice", async ({ page, context }) => {
  const id = await newWorkflow(page, "Two tabs");
  await dragFromPalette(page, "trigger.manual", { x: 100, y: 150 });
  await saved(page);

  const second = await context.newPage();
  await second.setViewportSize({ width: 1280, height: 800 });
  await second.goto(`/workflows/${id}`);
  await expect(second.getByTestId("canvas-node")).toHaveCount(1);
  await dragFromPalette(second, "flow.end", { x: 500, y: 150 });
  await saved(second);

  // The first tab never saw the second tab's End: its next save is refused, not applied.
  await dragFromPalette(page, "notify.operator", { x: 400, y: 300 });
  await expect(page.getByTestId("save-conflict")).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId("save-conflict")).toContainText("changed in another tab");
  await page.screenshot({ path: "test-results/editor-conflict.png" });
  expect((await draft(page, id)).nodes.map((n) => n.type).sort()).toEqual(["flow.end", "trigger.manual"]);

  await page.getByRole("button", { name: "Reload their draft" }).click();
  await expect(page.getByTestId("canvas-node")).toHaveCount(2);
  await expect(node(page, "end_1")).toBeVisible();
  await expect(page.getByTestId("save-status")).toHaveAttribute("data-status", "saved");

  // Now the second tab is stale; it overwrites on purpose.
  await dragFromPalette(second, "notify.operator", { x: 400, y: 300 });
  await saved(second);
  await dragFromPalette(page, "flow.delay", { x: 300, y: 400 });
  await expect(page.getByTestId("save-conflict")).toBeVisible({ timeout: 15_000 });
  await page.getByRole("button", { name: "Overwrite with my edits" }).click();
  await saved(page);
  expect((await draft(page, id)).nodes.map((n) => n.type).sort()).toEqual(["flow.delay", "flow.end", "trigger.manual"]);
  await second.close();
});

test("keyboard only: add and connect two nodes", async ({ page }) => {
  const id = await newWorkflow(page, "Keyboard");
  await page.locator("body").press("/");
  await expect(page.getByLabel("Search nodes")).toBeFocused();
  await page.keyboard.type("manual start");
  await page.keyboard.press("Enter");
  await page.keyboard.type("notify me");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("canvas-node")).toHaveCount(2);
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await expect(page.getByTestId("editor-notice")).toContainText("Added operator_1 after manual_1");
  await page.keyboard.press("Escape");
  await page.locator("body").press("?");
  await expect(page.getByTestId("shortcuts-dialog")).toContainText("Undo");
  await page.screenshot({ path: "test-results/editor-shortcuts.png" });
  await page.keyboard.press("Escape");
  await saved(page);
  const stored = await draft(page, id);
  expect(stored.edges).toEqual([{ id: "e_1", source: "manual_1", sourcePort: "out", target: "operator_1", targetPort: "in" }]);
});
