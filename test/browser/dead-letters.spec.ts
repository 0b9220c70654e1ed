import { expect, test, type Page } from "@playwright/test";
import { startSink } from "../support/http-sink";
import { api, query } from "../support/browser-trpc";

// Dead letters against the built app: an HTTP step whose peer (a real server on 127.0.0.1)
// refuses with a 4xx fails for good and lands in the inbox; the operator retries it with the
// run's input edited (checked against the trigger's input schema; a new idempotency key, shown
// first) or, once the peer is fixed, retries a selection under the same key; the runs finish.

let sink: Awaited<ReturnType<typeof startSink>>;
/** Paths the peer refuses (400) until a test says otherwise. */
const refused = new Set<string>(["/broken"]);
test.beforeAll(async () => {
  // Orders named "…-bad" are refused too: an edited input can fix them.
  sink = await startSink((call) => (refused.has(call.path.split("?")[0]!) || call.body.includes("-bad") ? { status: 400, body: { error: "no such endpoint" } } : { status: 200, body: { ok: true } }));
});
test.afterAll(async () => {
  await sink.close();
});

async function orderWorkflow(page: Page, name: string, path: string) {
  await api(page, "settings.saveEgressAllowlist", { entries: ["127.0.0.1"] });
  const graph = {
    schemaVersion: 1,
    nodes: [
      {
        id: "start",
        type: "trigger.manual",
        typeVersion: 2,
        label: "Start",
        position: { x: 0, y: 0 },
        config: { inputSchema: { type: "object", properties: { order: { type: "string" } }, required: ["order"] } },
      },
      { id: "send", type: "http.request", typeVersion: 1, label: "Post order", position: { x: 200, y: 0 }, config: { method: "POST", url: `${sink.url}${path}`, body: { order: "{{ input.order }}" } } },
      { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 400, y: 0 }, config: {} },
    ],
    edges: [
      { id: "e1", source: "start", sourcePort: "out", target: "send", targetPort: "in" },
      { id: "e2", source: "send", sourcePort: "out", target: "done", targetPort: "in" },
    ],
  };
  const wf = await api(page, "workflow.create", { name, graph });
  await api(page, "workflow.publish", { id: wf.id });
  return wf.id as string;
}

/** Starts a run and waits until its step is dead. */
async function deadRun(page: Page, workflow: string, order: string) {
  const run = await api(page, "run.start", { workflow, input: { order } });
  await expect.poll(async () => (await query(page, "run.get", { id: run.id })).status).toBe("dead");
  return run.id as string;
}

const runStatus = async (page: Page, id: string) => (await query(page, "run.get", { id })).status as string;

test("retry a dead letter with edited input: a field error first, then a new key, and the run succeeds", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const runId = await deadRun(page, await orderWorkflow(page, "Order sync", "/orders"), "O-1-bad");

  await page.goto("/dead-letters");
  const letter = page.locator(`[data-testid="dead-letter"][data-run="${runId}"]`);
  await expect(letter.getByTestId("dead-letter-error")).toContainText("answered 400");
  await expect(letter.getByTestId("replay-link")).toHaveAttribute("href", new RegExp(`^/runs/${runId}\\?step=\\d+$`));
  await expect(page.getByTestId("dead-letter-group").filter({ hasText: "Order sync · Post order" })).toContainText("permanent");
  await letter.getByText("Review packet").click();
  await expect(letter.getByTestId("packet")).toContainText("no such endpoint");
  await page.screenshot({ path: "test-results/screenshots/dead-letters-1280.png", fullPage: true });

  await letter.getByRole("button", { name: "Edit and retry…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("edited-key")).toHaveText(`${runId}:send:1:e1`);
  // The shared JSON field (CodeMirror): checked as it is typed, then by the schema on submit.
  const input = dialog.getByLabel("Run input (JSON)");
  await expect(input).toContainText(`"order": "O-1-bad"`);
  await input.fill('{ "order": ');
  await expect(dialog.getByTestId("dl-input-problem")).toContainText("Not valid JSON yet");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  // The trigger's input schema answers, naming the field; nothing runs.
  await input.fill('{ "order": 1 }');
  await expect(dialog.getByTestId("dl-input-problem")).toHaveText("");
  await dialog.getByRole("button", { name: "Retry with these edits" }).click();
  await expect(dialog.getByRole("alert")).toContainText("input.order");
  await input.fill('{ "order": "O-1" }');
  await page.screenshot({ path: "test-results/screenshots/dead-letter-edit-1280.png" });
  await dialog.getByRole("button", { name: "Retry with these edits" }).click();
  await expect(page.getByTestId("dead-letter-message")).toHaveText(`Retried with edits under the new key ${runId}:send:1:e1.`);

  await expect.poll(() => runStatus(page, runId)).toBe("succeeded");
  const fixed = sink.calls.filter((c) => c.key === `${runId}:send:1:e1`);
  expect(fixed.map((c) => JSON.parse(c.body))).toEqual([{ order: "O-1" }]);
  expect((await query(page, "run.get", { id: runId })).input).toEqual({ order: "O-1" });
  await expect(letter).toHaveCount(0);
});

test("retry a selection under the same keys once the peer is fixed", async ({ page }) => {
  await page.goto("/");
  refused.add("/flaky");
  const wf = await orderWorkflow(page, "Order sync (flaky)", "/flaky");
  const first = await deadRun(page, wf, "F-1");
  const second = await deadRun(page, wf, "F-2");
  refused.delete("/flaky");

  await page.goto("/dead-letters");
  await page.getByRole("checkbox", { name: `Select the dead letter of run ${first}` }).check();
  await page.getByRole("checkbox", { name: `Select the dead letter of run ${second}` }).check();
  await page.getByTestId("retry-selected").click();
  await expect(page.getByTestId("dead-letter-message")).toHaveText("Retried 2.");
  await expect.poll(() => runStatus(page, first)).toBe("succeeded");
  await expect.poll(() => runStatus(page, second)).toBe("succeeded");
  // The same key as the failed attempt: the peer can tell it is the same request.
  for (const runId of [first, second]) {
    const keys = sink.calls.filter((c) => c.path === "/flaky" && c.key?.startsWith(`${runId}:`)).map((c) => c.key);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys)).toEqual(new Set([`${runId}:send:1`]));
  }
});
