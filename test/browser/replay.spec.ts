import { expect, test, type Page } from "@playwright/test";
import Database from "better-sqlite3";
import { join } from "node:path";
import { startSink } from "../support/http-sink";
import { api, query } from "../support/browser-trpc";

// A run that retries once against a flaky local peer, passes an approval and finishes; its
// replay, scrubbed step by step; a fork from a middle step with edited input; and a replay whose
// checkpoint was altered in the database, which must show the mismatch at that step.

const SHOTS = "test-results/screenshots";

async function pendingApprovalOf(page: Page, runId: string): Promise<{ id: string; packet: { title: string } }> {
  let found: { id: string; packet: { title: string } } | undefined;
  await expect
    .poll(async () => {
      const pending = (await query(page, "approval.pending", undefined)) as { id: string; runId: string; packet: { title: string } }[];
      found = pending.find((a) => a.runId === runId);
      return found !== undefined;
    }, { timeout: 30_000 })
    .toBe(true);
  return found!;
}

let sink: Awaited<ReturnType<typeof startSink>>;
test.beforeAll(async () => {
  // The flaky peer: every key's first call gets a 503, the next one succeeds.
  sink = await startSink((call, attempt) => (attempt === 1 ? { status: 503, body: { error: "busy" } } : { status: 200, body: { charged: JSON.parse(call.body).amount } }));
});
test.afterAll(async ({ browser }) => {
  await sink.close();
  const page = await browser.newPage({ storageState: "test-results/.auth/operator.json" });
  await api(page, "settings.saveEgressAllowlist", { entries: [] });
  await page.close();
});

async function finishedRun(page: Page, name: string) {
  await api(page, "settings.saveEgressAllowlist", { entries: [`127.0.0.1:${sink.port}`] });
  const graph = {
    schemaVersion: 1,
    nodes: [
      { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 80 }, config: {} },
      {
        id: "charge",
        type: "http.request",
        typeVersion: 1,
        label: "Charge",
        position: { x: 240, y: 80 },
        config: { method: "POST", url: `${sink.url}/charge`, body: { amount: "{{ input.amount }}" } },
        retry: { attempts: 3, initialDelayMs: 300, maxDelayMs: 300, factor: 1 },
      },
      { id: "ask", type: "human.approval", typeVersion: 1, label: "Ship it?", position: { x: 480, y: 80 }, config: { title: "Ship {{ input.amount }}?", proposal: { amount: "{{ input.amount }}" } } },
      { id: "yes", type: "flow.end", typeVersion: 1, label: "Shipped", position: { x: 720, y: 0 }, config: {} },
      { id: "no", type: "flow.end", typeVersion: 1, label: "Refused", position: { x: 720, y: 160 }, config: { outcome: "failure" } },
    ],
    edges: [
      { id: "e1", source: "start", sourcePort: "out", target: "charge", targetPort: "in" },
      { id: "e2", source: "charge", sourcePort: "out", target: "ask", targetPort: "in" },
      { id: "e3", source: "ask", sourcePort: "approved", target: "yes", targetPort: "in" },
      { id: "e4", source: "ask", sourcePort: "rejected", target: "no", targetPort: "in" },
    ],
  };
  const wf = await api(page, "workflow.create", { name, graph });
  await api(page, "workflow.publish", { id: wf.id });
  const run = await api(page, "run.start", { workflow: wf.id, input: { amount: 42 } });
  const approval = await pendingApprovalOf(page, run.id);
  expect(approval.packet.title).toBe("Ship 42?");
  await api(page, "approval.decide", { approvalId: approval.id, decision: "approve" });
  await expect.poll(async () => (await query(page, "run.get", { id: run.id })).status, { timeout: 30_000 }).toBe("succeeded");
  const events = (await query(page, "run.events", { id: run.id })) as { seq: number; type: string; nodeId: string | null }[];
  return { runId: run.id as string, events };
}

// What each event does to its node's state, written out here independently of the app's code.
const STATE_AFTER: Record<string, string> = {
  "node.entered": "active",
  "node.completed": "succeeded",
  "node.failed": "failed",
  "node.retry_scheduled": "retrying",
  "approval.requested": "waiting",
  "approval.approved": "succeeded",
  // The run's end names the end node it stopped at, which finishes with it.
  "run.succeeded": "succeeded",
};

test("a replay scrubs step by step through a run that retried and passed an approval, and forks from a middle step", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const { runId, events } = await finishedRun(page, "Replay me");
  expect(events.filter((e) => e.type === "node.failed" && e.nodeId === "charge")).toHaveLength(1);
  expect(sink.calls.filter((c) => c.path === "/charge").map((c) => c.status)).toEqual([503, 200]);

  await page.goto(`/runs/${runId}?step=1`);
  await expect(page.getByTestId("run-status")).toHaveText("succeeded");
  await expect(page.getByTestId("replay-verification")).toHaveAttribute("data-state", "verified");
  await expect(page.getByTestId("replay-position")).toHaveText(`1 / ${events.length}`);
  const node = (id: string) => page.locator(`[data-testid="canvas-node"][data-node-id="${id}"]`);
  for (const id of ["start", "charge", "ask", "yes", "no"]) await expect(node(id)).not.toHaveAttribute("data-run-state", /./);
  await page.screenshot({ path: `${SHOTS}/replay-start.png` });

  // Step forward with the keyboard through the whole run, checking each node's state.
  const expected: Record<string, string> = {};
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (i > 0) await page.keyboard.press("ArrowRight");
    await expect(page.getByTestId("replay-position")).toHaveText(`${event.seq} / ${events.length}`);
    await expect(page).toHaveURL(new RegExp(`step=${event.seq}$`));
    if (event.nodeId && STATE_AFTER[event.type]) expected[event.nodeId] = STATE_AFTER[event.type]!;
    for (const [id, state] of Object.entries(expected)) await expect(node(id), `${id} after event ${event.seq} (${event.type})`).toHaveAttribute("data-run-state", state);
    await expect(node("no")).not.toHaveAttribute("data-run-state", /./);

    if (event.type === "node.retry_scheduled") {
      await expect(node("charge").getByTestId("node-status")).toContainText("×2");
      await expect(page.getByTestId("step-attempt")).toHaveCount(1);
      await expect(page.getByTestId("step-attempt").first()).toHaveAttribute("data-outcome", "failed");
      await expect(page.getByTestId("step-attempt").first()).toContainText("503");
      await expect(page.getByTestId("step-attempt").first()).toContainText(/next try after \d+ ms/);
      await page.screenshot({ path: `${SHOTS}/replay-retrying.png` });
    }
    if (event.type === "node.completed" && event.nodeId === "charge") {
      await expect(page.getByTestId("step-panel")).toHaveAttribute("data-node-id", "charge");
      await expect(page.getByTestId("step-input")).toContainText(`"amount": 42`);
      await expect(page.getByTestId("step-request")).toContainText(`${sink.url}/charge`);
      await expect(page.getByTestId("step-output")).toContainText(`"charged": 42`);
      await expect(page.getByTestId("step-attempt")).toHaveCount(2);
      await expect(page.getByTestId("step-attempt").nth(1)).toHaveAttribute("data-outcome", "succeeded");
      await expect(page.getByTestId("step-effects")).toContainText(`${runId}:charge:1`);
      await expect(page.getByTestId("step-effects")).toContainText("completed · 2 attempts");
      await page.screenshot({ path: `${SHOTS}/replay-charge-done.png` });
    }
  }
  // Taken edges are marked; the branch not taken is not.
  await expect(page.locator(".ke-taken")).toHaveCount(3);

  // Play from the start at 10×: it runs to the end by itself and stops there.
  await page.keyboard.press("Home");
  await expect(page.getByTestId("replay-position")).toHaveText(`1 / ${events.length}`);
  await page.getByLabel("Speed").selectOption("10");
  await page.getByTestId("replay-play").click();
  await expect(page.getByTestId("replay-play")).toHaveText("❚❚ Pause");
  await expect(page.getByTestId("replay-position")).toHaveText(`${events.at(-1)!.seq} / ${events.length}`);
  await expect(page.getByTestId("replay-play")).toHaveText("▶ Play");

  // A step back with the button, then the side panel of a node picked on the canvas.
  await page.getByRole("button", { name: "Step back" }).click();
  await expect(page.getByTestId("replay-position")).toHaveText(`${events.at(-2)!.seq} / ${events.length}`);
  await node("ask").click();
  await expect(page.getByTestId("step-panel")).toHaveAttribute("data-node-id", "ask");
  await expect(page.getByTestId("step-approvals")).toContainText("approved by operator");

  // Fork from the middle: where the run waited for the approval, with the amount edited.
  const waiting = events.find((e) => e.type === "approval.requested")!;
  await page.goto(`/runs/${runId}?step=${waiting.seq}`);
  await expect(page.getByTestId("replay-position")).toHaveText(`${waiting.seq} / ${events.length}`);
  await expect(node("ask")).toHaveAttribute("data-run-state", "waiting");
  await page.getByRole("button", { name: "Fork from here…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Fork from event ${waiting.seq}`);
  const editor = dialog.locator(".cm-content");
  await expect(editor).toContainText(`"amount": 42`);
  await editor.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type(`{"amount": 7`);
  // Unfinished JSON is refused in the dialog, naming the field; finished, it starts the fork.
  await dialog.getByRole("button", { name: "Start the fork" }).click();
  await expect(page.getByTestId("fork-error")).toContainText("input: is not valid JSON");
  await page.screenshot({ path: `${SHOTS}/replay-fork-dialog.png` });
  await editor.click();
  await page.keyboard.press("ControlOrMeta+End");
  await page.keyboard.type("}");
  await expect(editor).toHaveText(`{"amount": 7}`);
  await dialog.getByRole("button", { name: "Start the fork" }).click();
  await expect(page).not.toHaveURL(new RegExp(runId));
  const forkId = new URL(page.url()).pathname.split("/").pop()!;
  // The fork stops at the approval again, asking about the edited amount.
  const forkApproval = await pendingApprovalOf(page, forkId);
  expect(forkApproval.packet.title).toBe("Ship 7?");
  await expect(page.getByTestId("run-status")).toHaveText("waiting");
  await expect(node("ask")).toHaveAttribute("data-run-state", "waiting");
  await expect(node("charge")).not.toHaveAttribute("data-run-state", /./);
  await expect(page.getByRole("link", { name: `run ${runId}` })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/replay-fork.png` });
  await api(page, "run.control", { id: forkId, action: "cancel" });
  await expect(page.getByTestId("run-status")).toHaveText("cancelled");
});

test("a replay whose checkpoint was altered in the database shows the mismatch at that step", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const { runId } = await finishedRun(page, "Tampered");
  const db = new Database(join(process.env.KEEL_E2E_DATA_DIR!, "keel.db"));
  let seq: number;
  try {
    const rows = db.prepare(`SELECT "seq", "snapshot" FROM "Checkpoint" WHERE "runId" = ? ORDER BY "seq"`).all(runId) as { seq: number; snapshot: string }[];
    const target = rows[Math.floor(rows.length / 2)]!;
    seq = target.seq;
    const snapshot = JSON.parse(target.snapshot) as { context: { input: unknown } };
    snapshot.context.input = { amount: 1_000_000 };
    db.prepare(`UPDATE "Checkpoint" SET "snapshot" = ? WHERE "runId" = ? AND "seq" = ?`).run(JSON.stringify(snapshot), runId, seq);
  } finally {
    db.close();
  }
  await page.goto(`/runs/${runId}`);
  const banner = page.getByTestId("replay-verification");
  await expect(banner).toHaveAttribute("data-state", "mismatch");
  await expect(banner).toContainText(`event ${seq} (context.input)`);
  await expect(page.getByTestId("mismatch-seq")).toHaveCount(1);
  await page.getByTestId("mismatch-seq").click();
  await expect(page.getByTestId("replay-position")).toHaveText(new RegExp(`^${seq} / `));
  await expect(page.getByTestId("mismatch-here")).toBeVisible();
  await expect(page.locator(`.replay-event-mismatch[data-seq="${seq}"]`)).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/replay-mismatch.png` });
});
