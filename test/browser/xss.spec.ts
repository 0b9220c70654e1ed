import { expect, test, type Page } from "@playwright/test";
import { rememberThroughRuns } from "../support/browser-memory";
import { appRoutes, fillRoute } from "../support/routes";

// Renders script and markup payloads in every text the app shows, on every page the app has
// (read from app/, so new pages are probed without editing this file), and checks that nothing
// runs and no injected element appears.

const PAYLOADS = [
  `<img src=x onerror="window.__xss=1;alert(1)" data-xss>`,
  `<script data-xss>window.__xss=1;alert(1)</script>`,
  `"><svg data-xss onload="window.__xss=1;alert(1)">`,
  `javascript:window.__xss=1;alert(1)`,
  `<a href="javascript:alert(1)" data-xss>click me</a>`,
  `{{constructor.constructor('window.__xss=1;alert(1)')()}}`,
  `<iframe data-xss srcdoc="<script>parent.__xss=1</script>"></iframe>`,
];

async function api(page: Page, path: string, input: unknown) {
  const response = await page.request.post(`/api/trpc/${path}`, {
    data: input,
    headers: { "x-keel-csrf": "1", origin: new URL(page.url() === "about:blank" ? "http://x" : page.url()).origin },
  });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
  return (await response.json()).result.data;
}

test("no page runs or renders injected markup from the data it shows", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto("/");

  // Payloads in everything an operator or the outside world can write that the app shows now:
  // workflow names, descriptions, node labels and types, token names, audit details.
  const workflow = await api(page, "workflow.create", { name: PAYLOADS[0], description: PAYLOADS.join(" ") });
  await api(page, "workflow.saveDraft", {
    id: workflow.id,
    name: PAYLOADS[1],
    graph: {
      schemaVersion: 1,
      nodes: PAYLOADS.map((payload, i) => ({ id: `n${i}`, type: payload.slice(0, 100), typeVersion: 1, label: payload, position: { x: i * 220, y: 0 }, config: {} })),
      edges: [],
    },
  });
  for (const payload of PAYLOADS) await api(page, "auth.tokens.create", { name: payload.slice(0, 80) });
  await api(page, "settings.saveLlm", { prices: { [PAYLOADS[4]!]: { input: 1, output: 2 } } });
  // Memory: a subject key and item texts (the memory page, a subject's timeline, its summary).
  const subject = `contact:${PAYLOADS[0]}`;
  await rememberThroughRuns(page, subject, PAYLOADS.slice(1));

  const pages = appRoutes().filter((r) => r.kind === "page");
  expect(pages.length).toBeGreaterThan(3);
  for (const route of pages) {
    const url = fillRoute(route.pattern, { id: workflow.id, subject });
    await page.goto(url);
    await page.waitForLoadState("networkidle");
    expect(await page.locator("[data-xss]").count(), url).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), url).toBeUndefined();
  }
  expect(dialogs).toEqual([]);

  // The payloads were really on screen, as text.
  await page.goto(`/workflows/${workflow.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(PAYLOADS[1]!);
  await expect(page.getByTestId("canvas-node").filter({ hasText: PAYLOADS[2]! })).toBeVisible();
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").filter({ hasText: PAYLOADS[0]! }).first()).toBeVisible();
  await page.goto("/settings");
  await expect(page.getByTestId("token-table")).toContainText(PAYLOADS[3]!);
  await expect(page.getByLabel("Model 1")).toHaveValue(PAYLOADS[4]!);
  await page.goto("/memory");
  await expect(page.getByTestId("memory-subject-row").filter({ hasText: PAYLOADS[0]! })).toBeVisible();
  await page.goto(`/memory/${encodeURIComponent(subject)}`);
  await expect(page.getByTestId("memory-item").filter({ hasText: PAYLOADS[4]! })).toBeVisible();
  expect(await page.locator("[data-xss]").count()).toBe(0);
  expect(dialogs).toEqual([]);
});
