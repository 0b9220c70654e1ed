import { expect, test, type Page } from "@playwright/test";
import { startSink } from "../support/http-sink";
import { api, query } from "../support/browser-trpc";

// The approval queue against the built app: the worker of `keel start` runs each workflow to
// its approval; the operator decides in the page; the step after the approval sends what was
// approved to a real HTTP peer on 127.0.0.1, so the test sees what the decision changed.

let sink: Awaited<ReturnType<typeof startSink>>;
test.beforeAll(async () => {
  sink = await startSink();
});
test.afterAll(async () => {
  await sink.close();
});

/** A published refund workflow: approval (typed proposal) → POST of what was approved → end. */
async function refundWorkflow(page: Page, name: string, risk: "low" | "high" = "low") {
  await api(page, "settings.saveEgressAllowlist", { entries: ["127.0.0.1"] });
  const graph = {
    schemaVersion: 1,
    nodes: [
      { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 0 }, config: {} },
      {
        id: "ask",
        type: "human.approval",
        typeVersion: 2,
        label: "Check refund",
        position: { x: 200, y: 0 },
        config: {
          title: "Refund {{ input.order }}",
          instructions: "Refund the customer for the damaged parcel.",
          proposal: { amount: "{{ input.amount }}", note: "{{ input.note }}" },
          proposalSchema: [
            { name: "amount", label: "Amount", type: "number", required: true },
            { name: "note", label: "Note", type: "text" },
          ],
          risk,
        },
      },
      { id: "send", type: "http.request", typeVersion: 1, label: "Send refund", position: { x: 400, y: 0 }, config: { method: "POST", url: `${sink.url}/refunds`, body: "{{ outputs.ask }}" } },
      { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 600, y: 0 }, config: {} },
    ],
    edges: [
      { id: "e1", source: "start", sourcePort: "out", target: "ask", targetPort: "in" },
      { id: "e2", source: "ask", sourcePort: "approved", target: "send", targetPort: "in" },
      { id: "e3", source: "send", sourcePort: "out", target: "done", targetPort: "in" },
    ],
  };
  const wf = await api(page, "workflow.create", { name, graph });
  await api(page, "workflow.publish", { id: wf.id });
  return wf.id as string;
}

/** Starts a run and waits until its approval is in the queue; the approval's id. */
async function waitingApproval(page: Page, workflow: string, input: Record<string, unknown>) {
  const run = await api(page, "run.start", { workflow, input });
  let approvalId: string | undefined;
  await expect
    .poll(async () => {
      const queue = (await query(page, "approval.queue", undefined)) as { id: string; runId: string }[];
      approvalId = queue.find((q) => q.runId === run.id)?.id;
      return approvalId;
    })
    .toBeDefined();
  return { runId: run.id as string, approvalId: approvalId! };
}

const runStatus = async (page: Page, id: string) => (await query(page, "run.get", { id })).status as string;
const sentFor = (order: string) => sink.calls.filter((c) => c.path === "/refunds" && c.body.includes(order)).map((c) => JSON.parse(c.body) as { amount: number; note: string });

test("approve from the queue with the keyboard, and the run finishes", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const wf = await refundWorkflow(page, "Refunds by keyboard");
  const { runId, approvalId } = await waitingApproval(page, wf, { order: "K-100", amount: 40, note: "dented" });

  // Every open SSE stream holds one of the browser's six connections to Keel: the page keeps one.
  const streams: string[] = [];
  page.on("request", (request) => void (request.url().includes("/api/trpc/run.onChange") && streams.push(request.url())));
  await page.goto("/approvals");
  await expect(page.getByTestId("approval-count")).toBeVisible();
  const item = page.locator(`[data-testid="approval-item"][data-id="${approvalId}"]`);
  await expect(item).toBeVisible();
  expect(streams).toHaveLength(1);
  // j moves down the queue until our item has the focus (others may wait above it).
  for (let i = 0; i < 30 && (await item.getAttribute("data-focused")) !== "true"; i++) await page.keyboard.press("j");
  await expect(item).toHaveAttribute("data-focused", "true");
  await page.screenshot({ path: "test-results/screenshots/approvals-queue-1280.png" });
  await page.keyboard.press("a");
  await expect(page.getByTestId("queue-message")).toHaveText("Approved “Refund K-100”.");
  await expect(item).toHaveCount(0);

  await expect.poll(() => runStatus(page, runId)).toBe("succeeded");
  expect(sentFor("dented")).toEqual([{ amount: 40, note: "dented" }]);

  // The decided item is in the history, and the audit log has the decision.
  await page.getByRole("tab", { name: "Decided" }).click();
  await expect(page.getByTestId("history-item").filter({ hasText: "Refund K-100" })).toContainText("approved by operator");
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").filter({ hasText: "approval.approve" }).first()).toBeVisible();
});

test("edit-and-approve shows the diff and changes what the next step sends", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const wf = await refundWorkflow(page, "Refunds with edits");
  const { runId, approvalId } = await waitingApproval(page, wf, { order: "E-200", amount: 40, note: "late" });

  await page.goto(`/approvals/${approvalId}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Refund E-200");
  await expect(page.getByTestId("approval-risk")).toHaveText("low risk");
  await expect(page.getByTestId("proposal-amount")).toHaveText("40");
  // Why: the trigger's output, linked into the replay at its step.
  await expect(page.getByTestId("why").getByRole("link", { name: "Start" })).toHaveAttribute("href", new RegExp(`^/runs/${runId}\\?step=\\d+$`));
  await page.screenshot({ path: "test-results/screenshots/approval-detail-1280.png", fullPage: true });

  await page.keyboard.press("e");
  await page.getByLabel("Amount").fill("35");
  await page.getByLabel("Note").fill("late, partial refund");
  const amountRow = page.locator('[data-testid="diff-row"][data-path="amount"]');
  await expect(amountRow).toContainText("40");
  await expect(amountRow).toContainText("35");
  await expect(page.getByTestId("diff-row")).toHaveCount(2);
  await page.getByRole("button", { name: "Approve with edits" }).click();
  await expect(page.getByTestId("approval-state")).toHaveText("Approved");
  await expect(page.getByTestId("decided").getByTestId("diff-row")).toHaveCount(2);

  await expect.poll(() => runStatus(page, runId)).toBe("succeeded");
  expect(sentFor("late")).toEqual([{ amount: 35, note: "late, partial refund" }]);

  // On a phone the packet stacks in one column and stays readable.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/approvals/${approvalId}`);
  await expect(page.getByTestId("decided")).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/screenshots/approval-detail-390.png", fullPage: true });
});

test("reject needs a reason, and the run takes the rejected path", async ({ page }) => {
  await page.goto("/");
  const wf = await refundWorkflow(page, "Refunds rejected");
  const { runId, approvalId } = await waitingApproval(page, wf, { order: "R-300", amount: 900, note: "suspicious" });
  await page.goto(`/approvals/${approvalId}`);
  await expect(page.getByTestId("approval-state")).toHaveText("Waiting for you");
  await page.keyboard.press("r");
  const dialog = page.getByRole("dialog", { name: "Reject “Refund R-300”" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Reject" }).click();
  await expect(dialog.getByRole("alert")).toContainText("reason");
  await dialog.getByLabel("Reason").fill("Order was never shipped");
  await dialog.getByRole("button", { name: "Reject" }).click();
  await expect(page.getByTestId("approval-state")).toHaveText("Rejected");
  await expect(page.getByTestId("decision-comment")).toHaveText("Reason: Order was never shipped");
  // No edge leaves "rejected": the run ends there without sending anything.
  await expect.poll(() => runStatus(page, runId)).not.toBe("waiting");
  expect(sentFor("suspicious")).toEqual([]);
});

test("bulk approve of the selected low-risk items; a high-risk one cannot be selected", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const low = await refundWorkflow(page, "Refunds in bulk");
  const high = await refundWorkflow(page, "Refunds in bulk (high risk)", "high");
  const first = await waitingApproval(page, low, { order: "B-1", amount: 5, note: "bulk-one" });
  const second = await waitingApproval(page, low, { order: "B-2", amount: 6, note: "bulk-two" });
  const risky = await waitingApproval(page, high, { order: "B-3", amount: 7, note: "bulk-three" });

  await page.goto("/approvals");
  await expect(page.locator(`[data-testid="approval-item"][data-id="${risky.approvalId}"]`).getByRole("checkbox")).toBeDisabled();
  await page.locator(`[data-testid="approval-item"][data-id="${first.approvalId}"]`).getByRole("checkbox").check();
  await page.locator(`[data-testid="approval-item"][data-id="${second.approvalId}"]`).getByRole("checkbox").check();
  await page.getByTestId("bulk-approve").click();
  await expect(page.getByTestId("queue-message")).toHaveText("Approved 2.");

  await expect.poll(() => runStatus(page, first.runId)).toBe("succeeded");
  await expect.poll(() => runStatus(page, second.runId)).toBe("succeeded");
  expect(await runStatus(page, risky.runId)).toBe("waiting");
  expect(sentFor("bulk-one")).toHaveLength(1);
  expect(sentFor("bulk-two")).toHaveLength(1);
  expect(sentFor("bulk-three")).toEqual([]);
  await expect(page.locator(`[data-testid="approval-item"][data-id="${risky.approvalId}"]`)).toBeVisible();
});

test("the email's approve link opens a confirmation page: opening decides nothing, confirming approves once", async ({ browser, page }) => {
  await page.goto("/");
  await api(page, "settings.saveNotifications", { operatorEmail: "owner@example.test", smtpCredential: "" });
  const wf = await refundWorkflow(page, "Refunds by email");
  const { runId, approvalId } = await waitingApproval(page, wf, { order: "M-400", amount: 12, note: "by-mail" });
  // The worker's notifier writes the email (into the outbox: no SMTP credential here).
  let approveLink: string | undefined;
  await expect
    .poll(async () => {
      const mails = (await query(page, "outbox.list", {})) as { subject: string; text: string }[];
      approveLink = /Approve as proposed \(asks you to confirm\):\n(\S+)/.exec(mails.find((m) => m.subject === "Approval needed: Refund M-400")?.text ?? "")?.[1];
      return approveLink;
    }, { timeout: 30_000 })
    .toBeDefined();
  const path = new URL(approveLink!).pathname + new URL(approveLink!).search;

  // Someone without a session (the link is the credential), as on a phone.
  const stranger = await browser.newContext({ storageState: { cookies: [], origins: [] }, viewport: { width: 390, height: 844 } });
  const phone = await stranger.newPage();
  await phone.goto(path);
  await expect(phone.getByRole("button", { name: "Confirm: approve" })).toBeVisible();
  await expect(phone.getByText("Refund M-400")).toBeVisible();
  expect((await query(page, "approval.get", { id: approvalId })).state).toBe("pending");
  await phone.screenshot({ path: "test-results/screenshots/approval-link-390.png" });
  await phone.getByRole("button", { name: "Confirm: approve" }).click();
  await expect(phone.getByTestId("link-done")).toContainText("Approved: “Refund M-400”");
  await expect.poll(() => runStatus(page, runId)).toBe("succeeded");
  expect(sentFor("by-mail")).toEqual([{ amount: 12, note: "by-mail" }]);

  await phone.goto(path);
  await expect(phone.getByTestId("link-refused")).toHaveText("This link was already used.");
  await stranger.close();
});

test("a step with an autonomy rule shows it on the canvas, approves by itself, and one click takes it back", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  await api(page, "settings.saveEgressAllowlist", { entries: ["127.0.0.1"] });
  const wf = await api(page, "workflow.create", {
    name: "Small refunds",
    graph: {
      schemaVersion: 1,
      nodes: [
        { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 0 }, config: {} },
        {
          id: "ask",
          type: "human.approval",
          typeVersion: 2,
          label: "Check refund",
          position: { x: 220, y: 0 },
          config: { title: "Refund {{ input.order }}", proposal: { amount: "{{ input.amount }}" }, risk: "low", autonomy: { mode: "condition", condition: "proposal.amount < 50", maxRisk: "low" } },
        },
        { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 440, y: 0 }, config: {} },
      ],
      edges: [
        { id: "e1", source: "start", sourcePort: "out", target: "ask", targetPort: "in" },
        { id: "e2", source: "ask", sourcePort: "approved", target: "done", targetPort: "in" },
      ],
    },
  });
  await api(page, "workflow.publish", { id: wf.id });
  await page.goto(`/workflows/${wf.id}`);
  await expect(page.getByTestId("node-badge")).toHaveText("Auto-approves when its condition holds (risk ≤ low)");

  const run = await api(page, "run.start", { workflow: wf.id, input: { order: "S-1", amount: 10 } });
  // The worker's autonomy pass approves it: nobody clicks anything.
  await expect.poll(() => runStatus(page, run.id), { timeout: 30_000 }).toBe("succeeded");
  await page.goto("/approvals");
  await page.getByRole("tab", { name: "Decided" }).click();
  const item = page.getByTestId("history-item").filter({ hasText: "Refund S-1" });
  await expect(item.getByTestId("history-rule")).toHaveText("rule: condition proposal.amount < 50 held (risk low, at most low)");
  await expect(item).toContainText("approved by autonomy");
  await page.screenshot({ path: "test-results/screenshots/approvals-history-1280.png" });
  await item.getByRole("button", { name: "Take autonomy back" }).click();
  await expect(page.getByText("Autonomy taken back")).toBeVisible();
  expect(await query(page, "approval.autonomy", { workflowId: wf.id, nodeId: "ask" })).toMatchObject({ revoked: true });
});
