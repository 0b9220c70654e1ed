import { expect, test } from "@playwright/test";
import { allowPeer } from "../support/browser-egress";
import { approvalFlow } from "../support/editor-graphs";
import { startSink } from "../support/http-sink";
import { api, node } from "./editor-support";

// Pause points on the editor's canvas: the approval node shows how many live runs wait there,
// follows new runs and decisions live (run.onChange), and links to the approval queue.
// Screenshot: test-results/editor-pause-point-waiting.png.

test.use({ viewport: { width: 1280, height: 800 } });

test("an approval node shows the live runs waiting at it and links to the queue", async ({ page }) => {
  const sink = await startSink(() => ({ status: 200, body: { amount: 500 } }));
  try {
    await page.goto("/workflows");
    await allowPeer(page, sink.url);
    const wf = await api<{ id: string }>(page, "workflow.create", { name: "Waiting orders", graph: approvalFlow(sink.url, 100) });
    await api(page, "workflow.publish", { id: wf.id });
    const first = await api<{ id: string }>(page, "run.start", { workflow: wf.id, input: { order: "W-1" } });
    await expect.poll(async () => (await api<{ status: string }>(page, "run.get", { id: first.id }, "query")).status, { timeout: 30_000 }).toBe("waiting");

    await page.goto(`/workflows/${wf.id}`);
    await expect(page.getByTestId("editor")).toBeVisible();
    const count = node(page, "ask").getByTestId("node-waiting");
    await expect(count).toHaveText("1 run waiting here →");
    // Only the pause point carries a count.
    await expect(page.getByTestId("node-waiting")).toHaveCount(1);

    // A second run arrives while the editor is open: the count follows without a reload.
    const second = await api<{ id: string }>(page, "run.start", { workflow: wf.id, input: { order: "W-2" } });
    await expect(count).toHaveText("2 runs waiting here →", { timeout: 30_000 });
    await page.screenshot({ path: "test-results/editor-pause-point-waiting.png" });

    // A decision lowers it, live too.
    const pending = (await api<{ id: string; runId: string }[]>(page, "approval.pending", undefined, "query")).find((a) => a.runId === second.id)!;
    await api(page, "approval.decide", { approvalId: pending.id, decision: "approve" });
    await expect(count).toHaveText("1 run waiting here →", { timeout: 30_000 });

    await count.click();
    await expect(page).toHaveURL(/\/approvals$/);
  } finally {
    await sink.close();
  }
});
