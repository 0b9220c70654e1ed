import { expect, test, type Page } from "@playwright/test";
import { approvalFlow } from "../support/editor-graphs";
import { allowPeer } from "../support/browser-egress";
import { startSink } from "../support/http-sink";
import { api, query } from "../support/browser-trpc";


const node = (page: Page, id: string) => page.getByTestId("workflow-canvas").locator(`[data-node-id="${id}"]`);

test.use({ viewport: { width: 1280, height: 800 } });

test("a test run shows every node's state live on the canvas and decides the approval inline", async ({ page }) => {
  const sink = await startSink((call) => ({ status: 200, body: { order: call.path.split("/").pop(), amount: 250 } }));
  try {
    await page.goto("/workflows");
    await allowPeer(page, sink.url);
    const wf = await api(page, "workflow.create", { name: "Order approvals", graph: approvalFlow(sink.url) });
    await page.goto(`/workflows/${wf.id}`);
    await page.getByRole("tab", { name: "Test run" }).click();
    const panel = page.getByTestId("test-run-panel");
    await expect(panel.getByTestId("test-run-status")).toHaveText("not run yet");
    await expect(panel.getByTestId("test-run-warnings")).toHaveCount(0);

    await panel.getByTestId("test-run-input").fill('{ "order": "A-7" }');
    await panel.getByRole("button", { name: "Run test" }).click();

    // No reload and no polling: the states arrive through run.onChange.
    for (const id of ["hook", "fetch", "big"]) await expect(node(page, id)).toHaveAttribute("data-run-state", "succeeded", { timeout: 20_000 });
    await expect(node(page, "ask")).toHaveAttribute("data-run-state", "waiting");
    await expect(node(page, "tell")).not.toHaveAttribute("data-run-state", /.+/);
    await expect(panel.getByTestId("test-run-status")).toHaveText("waiting");
    expect(sink.calls.map((c) => c.path)).toEqual(["/orders/A-7"]);

    // The HTTP step's output and attempts, then the approval decided in the panel.
    await node(page, "fetch").click();
    await expect(panel.getByTestId("node-run-output")).toContainText('"amount": 250');
    await expect(panel.getByTestId("node-run-attempts")).toHaveText("1");
    await node(page, "ask").click();
    await expect(panel.getByTestId("inline-approval")).toBeVisible();
    await page.screenshot({ path: "test-results/screenshots/test-run-waiting.png", fullPage: true });
    await panel.getByTestId("inline-approval").getByRole("button", { name: "Approve" }).click();

    await expect(node(page, "ask")).toHaveAttribute("data-run-state", "succeeded", { timeout: 20_000 });
    await expect(node(page, "tell")).toHaveAttribute("data-run-state", "succeeded");
    await expect(node(page, "small")).not.toHaveAttribute("data-run-state", /.+/);
    await expect(panel.getByTestId("test-run-status")).toHaveText("succeeded");
    await page.screenshot({ path: "test-results/screenshots/test-run-succeeded.png", fullPage: true });

    // A test run is not a version, and the sample input is kept for the next one.
    expect(await query(page, "workflow.versions", { id: wf.id })).toEqual([]);
    await page.reload();
    await page.getByRole("tab", { name: "Test run" }).click();
    await expect(page.getByTestId("test-run-input")).toHaveValue(/"order": "A-7"/);
    await expect(node(page, "tell")).toHaveAttribute("data-run-state", "succeeded");
    expect(sink.calls).toHaveLength(1);

    // Run one step: the condition alone, with fetch's output pinned from the test run.
    await node(page, "big").click();
    await page.getByTestId("node-run-detail").getByRole("button", { name: "Run this step" }).click();
    await expect(page.getByTestId("test-run-status")).toHaveText("succeeded");
    await expect(node(page, "big")).toHaveAttribute("data-run-state", "succeeded");
    await expect(node(page, "fetch")).not.toHaveAttribute("data-run-state", /.+/);
    await expect(page.getByTestId("node-run-input")).toContainText('"amount": 250');
    expect(sink.calls).toHaveLength(1);
  } finally {
    await sink.close();
  }
});

test("before a test run calls a real endpoint the editor says so", async ({ page }) => {
  await page.goto("/workflows");
  const graph = approvalFlow("https://api.shop.com");
  const wf = await api(page, "workflow.create", { name: "Real shop", graph });
  await page.goto(`/workflows/${wf.id}`);
  await page.getByRole("tab", { name: "Test run" }).click();
  const panel = page.getByTestId("test-run-panel");
  await expect(panel.getByTestId("test-run-warnings")).toContainText("'Look up order' calls api.shop.com, not a test endpoint.");
  await expect(panel.getByRole("button", { name: "Run test anyway" })).toBeVisible();
  await panel.getByTestId("test-run-input").fill("{ not json");
  await expect(panel.getByRole("alert").filter({ hasText: "input: not valid JSON" })).toBeVisible();
  await expect(panel.getByRole("button", { name: "Run test anyway" })).toBeDisabled();
  await page.screenshot({ path: "test-results/screenshots/test-run-warning.png", fullPage: true });
});
