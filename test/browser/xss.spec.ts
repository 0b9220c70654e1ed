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

  // A pending form whose title, instructions, labels, help, options and defaults are payloads.
  const formFlow = await api(page, "workflow.create", {
    name: "Form probe",
    graph: {
      schemaVersion: 1,
      nodes: [
        { id: "start", type: "trigger.manual", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} },
        {
          id: "ask",
          type: "human.form",
          typeVersion: 1,
          label: "",
          position: { x: 200, y: 0 },
          config: {
            title: PAYLOADS[4]!,
            // Not the {{ … }} payload: form texts are templates, and that one is refused at publishing (tested elsewhere).
            instructions: PAYLOADS.filter((p) => !p.startsWith("{{")).join(" "),
            fields: [
              { name: "a", label: PAYLOADS[0]!, type: "text", default: PAYLOADS[1]!, help: PAYLOADS[2]! },
              { name: "b", label: PAYLOADS[3]!, type: "select", options: PAYLOADS.slice(0, 3), default: PAYLOADS[0]!, help: PAYLOADS[6]! },
              { name: "c", label: PAYLOADS[6]!, type: "textarea", default: PAYLOADS[3]! },
            ],
          },
        },
      ],
      edges: [{ id: "e1", source: "start", sourcePort: "out", target: "ask", targetPort: "in" }],
    },
  });
  await api(page, "workflow.publish", { id: formFlow.id });
  const formRun = await api(page, "run.start", { workflow: formFlow.id, input: {} });
  let formId: string | undefined;
  await expect
    .poll(async () => {
      const pending = (await (await page.request.get("/api/trpc/approval.pending")).json()).result.data as { id: string; runId: string }[];
      formId = pending.find((a) => a.runId === formRun.id)?.id;
      return formId;
    })
    .toBeDefined();
  const idFor = (pattern: string) => (pattern.startsWith("/forms/") ? formId! : workflow.id);

  const pages = appRoutes().filter((r) => r.kind === "page");
  expect(pages.length).toBeGreaterThan(3);
  for (const route of pages) {
    const url = fillRoute(route.pattern, { id: idFor(route.pattern), subject });
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
  await page.goto(`/forms/${formId}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(PAYLOADS[4]!);
  await expect(page.getByLabel(PAYLOADS[0]!)).toHaveValue(PAYLOADS[1]!);
  await expect(page.locator("#field-a-help")).toHaveText(PAYLOADS[2]!);
  expect(await page.locator("[data-xss]").count()).toBe(0);
  expect(dialogs).toEqual([]);
});
