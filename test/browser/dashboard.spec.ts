import { expect, test, type Page } from "@playwright/test";

async function api(page: Page, path: string, input: unknown) {
  const response = await page.request.post(`/api/trpc/${path}`, { data: input, headers: { "x-keel-csrf": "1" } });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()).result.data;
}

async function query(page: Page, path: string, input: unknown) {
  const response = await page.request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()).result.data;
}

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
  await expect(page.getByTestId("stat-runs")).toContainText(/Runs, 30 days/);

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
