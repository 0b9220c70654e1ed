import { expect, test } from "@playwright/test";
import { api } from "../support/browser-trpc";

// The runs list (filters, search in input and output, live statuses) and the Run button's form
// generated from a manual trigger's input schema (trigger.manual@2).

const SHOTS = "test-results/screenshots";

const node = (id: string, type: string, config: Record<string, unknown> = {}, typeVersion = 1, x = 0) => ({ id, type, typeVersion, label: id, position: { x, y: 0 }, config });
const edge = (id: string, source: string, target: string, sourcePort = "out") => ({ id, source, sourcePort, target, targetPort: "in" });

test("the Run button asks through a form built from the trigger's input schema, and names a missing field", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const schema = {
    type: "object",
    properties: { email: { type: "string", title: "Customer email", description: "Where the welcome goes" }, seats: { type: "integer", title: "Seats", default: 1 }, plan: { enum: ["basic", "pro"], title: "Plan" }, vip: { type: "boolean", title: "VIP" } },
    required: ["email", "plan"],
  };
  const graph = { schemaVersion: 1, nodes: [node("start", "trigger.manual", { description: "Onboard one customer", inputSchema: schema }, 2), node("done", "flow.end", {}, 1, 240)], edges: [edge("e1", "start", "done")] };
  const wf = await api(page, "workflow.create", { name: "Typed onboarding", graph });
  await api(page, "workflow.publish", { id: wf.id });

  await page.goto(`/workflows/${wf.id}`);
  await page.getByRole("button", { name: "Run…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Onboard one customer");
  await expect(dialog.getByLabel("Seats")).toHaveValue("1");
  await expect(dialog.getByText("Where the welcome goes")).toBeVisible();
  await dialog.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByTestId("run-error")).toContainText("input.email: is required");
  await page.screenshot({ path: `${SHOTS}/run-button-error.png` });

  await dialog.getByLabel("Customer email").fill("ada@example.com");
  await dialog.getByLabel("Seats").fill("3");
  await dialog.getByLabel("Plan").selectOption("pro");
  await dialog.getByLabel("VIP").check();
  await dialog.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/runs\/[^/?]+/);
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 30_000 });
  const runId = new URL(page.url()).pathname.split("/").pop()!;
  const run = (await (await page.request.get(`/api/trpc/run.get?input=${encodeURIComponent(JSON.stringify({ id: runId }))}`)).json()).result.data;
  expect(run.input).toEqual({ email: "ada@example.com", seats: 3, plan: "pro", vip: true });
});

test("the runs list filters, searches input and output, and shows statuses live", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const quick = await api(page, "workflow.create", { name: "Quick list run", graph: { schemaVersion: 1, nodes: [node("start", "trigger.manual"), node("done", "flow.end", {}, 1, 240)], edges: [edge("e1", "start", "done")] } });
  await api(page, "workflow.publish", { id: quick.id });
  const gated = await api(page, "workflow.create", {
    name: "Gated list run",
    graph: {
      schemaVersion: 1,
      nodes: [node("start", "trigger.manual"), node("ask", "human.approval", { title: "Go?" }, 1, 240), node("yes", "flow.end", {}, 1, 480), node("no", "flow.end", { outcome: "failure" }, 1, 480)],
      edges: [edge("e1", "start", "ask"), edge("e2", "ask", "yes", "approved"), edge("e3", "ask", "no", "rejected")],
    },
  });
  await api(page, "workflow.publish", { id: gated.id });
  // A paid API call under a workflow budget of 0: held before it calls, and named as such.
  const paid = await api(page, "workflow.create", {
    name: "Paid list run",
    graph: { schemaVersion: 1, nodes: [node("start", "trigger.manual"), node("lookup", "http.request", { url: "https://api.example.test/lookup", costUnits: 0.5 }, 1, 240)], edges: [edge("e1", "start", "lookup")] },
  });
  await api(page, "workflow.publish", { id: paid.id });
  await api(page, "budget.set", { workflowId: paid.id, dailyCap: 0 });
  const held = await api(page, "run.start", { workflow: paid.id, input: {} });
  const a = await api(page, "run.start", { workflow: quick.id, input: { customer: "zebra-crossing@example.com" } });
  await api(page, "run.start", { workflow: quick.id, input: { customer: "someone-else@example.com" } });
  const waiting = await api(page, "run.start", { workflow: gated.id, input: { customer: "gated@example.com" } });

  await page.goto("/runs");
  await expect(page.getByTestId("run-row").first()).toBeVisible();
  const row = (id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
  await expect(row(waiting.id).getByTestId("run-row-status")).toHaveText("waiting", { timeout: 30_000 });
  await expect(row(held.id).getByTestId("run-row-status")).toHaveText("held by budget: Paid list run", { timeout: 30_000 });
  await page.screenshot({ path: `${SHOTS}/runs-list.png` });

  // Live: the decision moves the row without a reload.
  let approvalId: string | undefined;
  await expect
    .poll(async () => {
      const pending = (await (await page.request.get("/api/trpc/approval.pending")).json()).result.data as { id: string; runId: string }[];
      approvalId = pending.find((p) => p.runId === waiting.id)?.id;
      return approvalId;
    })
    .toBeDefined();
  await api(page, "approval.decide", { approvalId, decision: "approve" });
  await expect(row(waiting.id).getByTestId("run-row-status")).toHaveText("succeeded", { timeout: 15_000 });

  await row(held.id).click();
  await expect(page.getByTestId("run-status")).toHaveText("held by budget: Paid list run");
  await expect(page.getByTestId("budget-hold")).toContainText("this workflow's daily budget of 0.00");
  await page.screenshot({ path: `${SHOTS}/replay-budget-held.png` });
  await page.goBack();

  await page.getByLabel("Workflow").selectOption({ label: "Quick list run" });
  await expect(page.getByTestId("run-row")).toHaveCount(2);
  await expect(row(waiting.id)).toHaveCount(0);
  await page.getByLabel("Search input and output").fill("zebra-crossing");
  await expect(page.getByTestId("run-row")).toHaveCount(1);
  await expect(row(a.id)).toBeVisible();
  await page.getByLabel("Status").selectOption("failed");
  await expect(page.getByTestId("runs-empty")).toHaveText("No run matches these filters.");
  await page.getByLabel("Status").selectOption("");
  await row(a.id).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${a.id}`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Run of Quick list run");
});

test("a run that does not exist says so, and the list links back", async ({ page }) => {
  await page.goto("/runs/no-such-run");
  await expect(page.getByRole("alert").filter({ hasText: "Run not found." })).toBeVisible();
  await page.getByRole("link", { name: "← Runs" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Runs");
});
