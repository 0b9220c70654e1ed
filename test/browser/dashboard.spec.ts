import { expect, test } from "@playwright/test";
import { api, query } from "../support/browser-trpc";

const GRAPH = {
  schemaVersion: 1,
  nodes: [
    { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 0 }, config: {} },
    { id: "set", type: "data.set", typeVersion: 1, label: "Set", position: { x: 200, y: 0 }, config: { fields: { greeting: "hello {{ input.name }}" } } },
    { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 400, y: 0 }, config: {} },
  ],
  edges: [
    { id: "e1", source: "start", sourcePort: "out", target: "set", targetPort: "in" },
    { id: "e2", source: "set", sourcePort: "out", target: "done", targetPort: "in" },
  ],
};

test("the dashboard and /metrics count the runs just made", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const before = await query(page, "metrics.dashboard", { days: 14 });
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("stat-runs")).toHaveAttribute("data-value", String(before.totals.runsStarted));
  // The empty state shows exactly when nothing ran in the range.
  await expect(page.getByTestId("dashboard-empty")).toHaveCount(before.totals.runsStarted === 0 && before.totals.steps === 0 ? 1 : 0);
  await page.screenshot({ path: "test-results/screenshots/dashboard-before.png" });

  const wf = await api(page, "workflow.create", { name: "Dashboard greeter", graph: GRAPH });
  await api(page, "workflow.publish", { id: wf.id });
  const runs: { id: string }[] = [];
  for (const name of ["Ada", "Grace", "Edsger"]) runs.push(await api(page, "run.start", { workflow: wf.id, input: { name } }));
  await expect
    .poll(async () => (await Promise.all(runs.map(async (r) => (await query(page, "run.get", { id: r.id })).status))).join(","), { timeout: 30_000 })
    .toBe("succeeded,succeeded,succeeded");

  // The page refreshes by itself; no reload.
  await expect(page.getByTestId("stat-runs")).toHaveAttribute("data-value", String(before.totals.runsStarted + 3), { timeout: 20_000 });
  const row = page.getByTestId("workflow-cost").filter({ hasText: "Dashboard greeter" });
  await expect(row).toHaveAttribute("data-runs", "3");
  await expect(row.getByRole("link", { name: "Dashboard greeter" })).toHaveAttribute("href", `/workflows/${wf.id}`);
  await expect(page.getByTestId("dashboard-empty")).toHaveCount(0);
  await expect(page.getByTestId("chart-runs").locator(".recharts-bar-rectangle").first()).toBeVisible();
  // The chart's numbers are also in a table for screen readers: today's row says 3 more started.
  const today = new Date().toISOString().slice(0, 10);
  const todayBefore = before.daily.find((d: { day: string }) => d.day === today)?.runsStarted ?? 0;
  await expect(page.getByTestId("chart-runs").getByRole("row", { name: new RegExp(`^${today}`) }).getByRole("cell").nth(2)).toHaveText(String(todayBefore + 3));
  await page.screenshot({ path: "test-results/screenshots/dashboard.png", fullPage: true });

  // Range buttons are buttons: reachable and pressable from the keyboard.
  const thirty = page.getByRole("button", { name: "30 days" });
  await thirty.focus();
  await page.keyboard.press("Enter");
  await expect(thirty).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("stat-runs")).toContainText("Runs · 30 days");

  // /metrics: refused without a token, the same counts with one.
  expect((await page.request.get("/metrics", { headers: { cookie: "" } })).status()).toBe(401);
  const token = await api(page, "auth.tokens.create", { name: "prometheus" });
  const scrape = await page.request.get("/metrics", { headers: { authorization: `Bearer ${token.token}` } });
  expect(scrape.status()).toBe(200);
  expect(scrape.headers()["content-type"]).toContain("text/plain");
  const text = await scrape.text();
  expect(text).toContain('keel_workflow_runs{workflow="Dashboard greeter"} 3');
  const started = Number(text.match(/^keel_runs_today\{status="started"\} (\d+)$/m)?.[1]);
  expect(started).toBeGreaterThanOrEqual(todayBefore + 3);
});

test("the dashboard shows its loading state, then an error it can retry", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let fail = true;
  // tRPC batches calls into one request: answer every call of a batch that holds the dashboard's.
  await page.route(
    (url) => url.pathname.startsWith("/api/trpc/") && url.pathname.includes("metrics.dashboard"),
    async (route) => {
      await held;
      if (!fail) return route.continue();
      const calls = new URL(route.request().url()).pathname.split("/").pop()!.split(",");
      const error = { error: { message: "Something went wrong on the server.", code: -32603, data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 500 } } };
      return route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify(calls.map(() => error)) });
    },
  );
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.locator("section[aria-busy=true]")).toBeVisible();
  await expect(page.getByTestId("stat-runs")).toHaveCount(0);
  await page.screenshot({ path: "test-results/screenshots/dashboard-loading.png" });
  release();
  const alert = page.getByTestId("dashboard-error");
  await expect(alert).toBeVisible({ timeout: 20_000 });
  await expect(alert).toContainText("Could not load the figures.");
  await page.screenshot({ path: "test-results/screenshots/dashboard-error.png" });
  fail = false;
  await alert.getByRole("button", { name: "Try again" }).click();
  await expect(page.getByTestId("stat-runs")).toBeVisible();
  await expect(alert).toHaveCount(0);
});

test("budgets, schedules and alerts are set and steered from the dashboard", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const wf = await api(page, "workflow.create", {
    name: "Yearly report",
    graph: {
      schemaVersion: 1,
      nodes: [
        { id: "tick", type: "trigger.schedule", typeVersion: 1, label: "Every new year", position: { x: 0, y: 0 }, config: { cron: "0 0 1 1 *", timezone: "UTC" } },
        { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 200, y: 0 }, config: {} },
      ],
      edges: [{ id: "e1", source: "tick", sourcePort: "out", target: "done", targetPort: "in" }],
    },
  });
  await api(page, "workflow.publish", { id: wf.id });
  // The worker's scheduler picks the new schedule up on its next tick.
  await expect.poll(async () => ((await query(page, "schedule.list", undefined)) as { workflowId: string }[]).some((s) => s.workflowId === wf.id), { timeout: 30_000 }).toBe(true);
  await page.goto("/");
  const schedule = page.getByTestId("schedule").filter({ hasText: "Yearly report" });
  await expect(schedule).toHaveAttribute("data-paused", "false");
  await expect(schedule).toContainText("0 0 1 1 *");
  await expect(schedule).toContainText(`Jan 1, 00:00 UTC`);
  const pause = schedule.getByRole("button", { name: "Pause schedule of Yearly report" });
  await pause.focus();
  await page.keyboard.press("Enter");
  await expect(schedule).toHaveAttribute("data-paused", "true");
  await expect(schedule.getByText("paused")).toBeVisible();

  // An alert rule from the form; a bad one is refused with the field named.
  const alerts = page.getByRole("form", { name: "New alert rule" });
  await alerts.getByLabel("Name").fill("Backlog stuck");
  await alerts.getByLabel("Metric").selectOption({ label: "Oldest queued run (seconds)" });
  await alerts.getByLabel("Threshold").fill("86400");
  await alerts.getByLabel("Webhook URL (optional)").fill("https://hooks.example.test/keel");
  await alerts.getByLabel("Signing credential (optional)").fill("no-such-credential");
  await alerts.getByRole("button", { name: "Add alert" }).click();
  await expect(alerts.getByRole("alert")).toContainText("webhookSecret: no credential named 'no-such-credential'");
  await alerts.getByLabel("Signing credential (optional)").fill("");
  await alerts.getByRole("button", { name: "Add alert" }).click();
  const rule = page.getByTestId("alert").filter({ hasText: "Backlog stuck" });
  await expect(rule).toHaveAttribute("data-state", "ok");
  await expect(alerts.getByLabel("Name")).toHaveValue("");

  const budgets = page.getByTestId("budgets");
  await budgets.getByLabel("Cap for").selectOption({ label: "All of Keel" });
  await budgets.getByLabel("Daily cap").fill("5");
  await budgets.getByRole("button", { name: "Save cap" }).click();
  const cap = budgets.getByTestId("budget").filter({ hasText: "All of Keel" });
  await expect(cap).toContainText("/ 5.00");
  await expect(cap).toHaveAttribute("data-over", "false");
  await page.screenshot({ path: "test-results/screenshots/dashboard-operations.png", fullPage: true });

  await cap.getByRole("button", { name: "Remove" }).click();
  await expect(cap).toHaveCount(0);
  await rule.getByRole("button", { name: "Remove alert Backlog stuck" }).click();
  await expect(rule).toHaveCount(0);
  await schedule.getByRole("button", { name: "Resume schedule of Yearly report" }).click();
  await expect(schedule).toHaveAttribute("data-paused", "false");
});
