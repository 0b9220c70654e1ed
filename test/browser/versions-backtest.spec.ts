import { expect, test } from "@playwright/test";
import { approvalFlow } from "../support/editor-graphs";
import { startSink } from "../support/http-sink";
import { allowPeer } from "../support/browser-egress";
import { api, query } from "../support/browser-trpc";

test.use({ viewport: { width: 1280, height: 800 } });

const AMOUNTS: Record<string, number> = { small: 50, medium: 150, large: 500 };

test("a version diff highlights the changed node and lists its changed config field", async ({ page }) => {
  await page.goto("/workflows");
  const graph = approvalFlow("http://127.0.0.1:9", 100);
  const wf = await api(page, "workflow.create", { name: "Diff me", graph });
  await api(page, "workflow.publish", { id: wf.id, notes: "first" });
  await api(page, "workflow.saveDraft", { id: wf.id, graph: approvalFlow("http://127.0.0.1:9", 250) });
  await api(page, "workflow.publish", { id: wf.id, notes: "higher threshold" });

  await page.goto(`/workflows/${wf.id}`);
  await page.getByRole("tab", { name: "Versions" }).click();
  const panel = page.getByTestId("versions-panel");
  await panel.getByLabel("Compare from").selectOption("1");
  await panel.getByLabel("Compare with").selectOption("2");
  await panel.getByRole("button", { name: "Show changes" }).click();
  const diff = panel.getByTestId("version-diff");
  await expect(diff.getByTestId("diff-summary")).toHaveText("From v1 to v2: 1 node differ, 0 edges added, 0 removed.");
  await expect(diff.getByTestId("workflow-canvas")).toBeVisible();
  // The diff canvas draws v2's nodes with the change laid over them: only the changed node is marked.
  const diffCanvas = diff.getByTestId("workflow-canvas");
  await expect(diffCanvas.locator('[data-testid="canvas-node"][data-node-id="big"]')).toHaveAttribute("data-highlight", "changed");
  await expect(diffCanvas.locator('[data-testid="canvas-node"]')).toHaveCount(6);
  await expect(diffCanvas.locator("[data-highlight]")).toHaveCount(1);
  await expect(diff.getByTestId("diff-fields").locator('[data-node-id="big"][data-change="changed"]')).toBeVisible();
  await expect(diff.getByTestId("diff-fields").locator("[data-change]")).toHaveCount(1);
  await expect(diff.getByTestId("diff-fields")).toContainText("config.condition");
  await expect(diff.getByTestId("diff-fields")).toContainText('"fetch.body.amount > 100"');
  await expect(diff.getByTestId("diff-fields")).toContainText('"fetch.body.amount > 250"');
  await diff.scrollIntoViewIfNeeded();
  await page.screenshot({ path: "test-results/screenshots/version-diff.png", fullPage: true });

  // Restoring v1 as the draft reloads the editor on v1's graph.
  await panel.getByRole("button", { name: "Restore v1 as draft" }).click();
  await expect
    .poll(async () => (await query(page, "workflow.get", { id: wf.id })).draftGraph.nodes.find((n: { id: string }) => n.id === "big").config)
    .toEqual({ condition: "fetch.body.amount > 100" });
  await page.waitForLoadState("load");
  await page.getByRole("tab", { name: "Versions" }).click();
  await expect(page.getByTestId("versions-panel")).toBeVisible();
});

test("a version diff with the draft highlights an added and a removed node on the canvas", async ({ page }) => {
  await page.goto("/workflows");
  const v1 = approvalFlow("http://127.0.0.1:9", 100);
  const wf = await api(page, "workflow.create", { name: "Diff nodes", graph: v1 });
  await api(page, "workflow.publish", { id: wf.id, notes: "first" });
  // The draft drops 'small' and sends the false branch to a new 'archive' node instead.
  const small = v1.nodes.find((n) => n.id === "small")!;
  const changed = {
    ...v1,
    nodes: [...v1.nodes.filter((n) => n.id !== "small"), { ...small, id: "archive", label: "Archive order", position: { x: 720, y: 220 } }],
    edges: [...v1.edges.filter((e) => e.id !== "e5"), { id: "e6", source: "big", sourcePort: "false", target: "archive", targetPort: "in" }],
  };
  await api(page, "workflow.saveDraft", { id: wf.id, graph: changed });

  await page.goto(`/workflows/${wf.id}`);
  await page.getByRole("tab", { name: "Versions" }).click();
  const panel = page.getByTestId("versions-panel");
  await panel.getByLabel("Compare from").selectOption("1");
  await panel.getByLabel("Compare with").selectOption("draft");
  await panel.getByRole("button", { name: "Show changes" }).click();
  const diff = panel.getByTestId("version-diff");
  await expect(diff.getByTestId("diff-summary")).toHaveText("From v1 to the draft: 2 nodes differ, 1 edge added, 1 removed.");
  const canvas = diff.getByTestId("workflow-canvas");
  // The removed node is drawn where it was, beside the draft's nodes.
  await expect(canvas.locator('[data-testid="canvas-node"]')).toHaveCount(7);
  await expect(canvas.locator('[data-node-id="archive"]')).toHaveAttribute("data-highlight", "added");
  await expect(canvas.locator('[data-node-id="small"]')).toHaveAttribute("data-highlight", "removed");
  await expect(canvas.locator("[data-highlight]")).toHaveCount(2);
  await diff.scrollIntoViewIfNeeded();
  await page.screenshot({ path: "test-results/screenshots/version-diff-added-removed.png" });
});

test("of three recorded runs a backtest flags exactly the one whose branch changes, and the peer receives nothing", async ({ page }) => {
  const sink = await startSink((call) => ({ status: 200, body: { amount: AMOUNTS[call.path.split("/").pop()!] } }));
  try {
    await page.goto("/workflows");
    await allowPeer(page, sink.url);
    const wf = await api(page, "workflow.create", { name: "Backtested orders", graph: approvalFlow(sink.url, 100) });
    await api(page, "workflow.publish", { id: wf.id });
    const runs: Record<string, string> = {};
    for (const order of Object.keys(AMOUNTS)) runs[order] = (await api(page, "run.start", { workflow: wf.id, input: { order } })).id;
    // keel start's worker runs them; the two large orders wait for approval.
    await expect.poll(async () => (await query(page, "approval.pending", undefined)).filter((a: { runId: string }) => Object.values(runs).includes(a.runId)).length, { timeout: 30_000 }).toBe(2);
    for (const a of await query(page, "approval.pending", undefined)) {
      if (Object.values(runs).includes(a.runId)) await api(page, "approval.decide", { approvalId: a.id, decision: "approve" });
    }
    for (const id of Object.values(runs)) await expect.poll(async () => (await query(page, "run.get", { id })).status, { timeout: 30_000 }).toBe("succeeded");
    const calls = sink.calls.length;
    expect(calls).toBe(3);

    await api(page, "workflow.saveDraft", { id: wf.id, graph: approvalFlow(sink.url, 200) });
    await page.goto(`/workflows/${wf.id}`);
    await page.getByRole("tab", { name: "Backtest" }).click();
    const panel = page.getByTestId("backtest-panel");
    await panel.getByLabel("Number of runs").fill("3");
    await panel.getByRole("button", { name: "Run backtest" }).click();
    await expect(panel.getByTestId("backtest-summary")).toHaveText("3 runs replayed: 2 unchanged, 1 flagged.");
    await expect(panel.getByTestId("backtest-flagged")).toHaveCount(1);
    await expect(panel.getByTestId("backtest-flagged")).toHaveAttribute("data-run-id", runs.medium!);
    await expect(panel.getByTestId("backtest-flagged")).toContainText("path changes");
    await expect(panel.getByTestId("backtest-flagged")).toContainText("hook → fetch → big → small");
    await expect(panel.getByTestId("backtest-flagged")).toContainText("would call 'Small order'");
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: "test-results/screenshots/backtest.png", fullPage: true });
    expect(sink.calls.length).toBe(calls);
  } finally {
    await sink.close();
  }
});
