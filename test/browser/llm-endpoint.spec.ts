import { expect, test, type Page } from "@playwright/test";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";
import { api, query } from "../support/browser-trpc";

// The LLM endpoint set on the Settings page against a local OpenAI-compatible server started by
// the test: a wrong key is reported next to the key field, the right one connects, and after
// saving the key shows only as "set". While it is set, an LLM step's memory provenance: the
// memory items its prompt read show under its output in the approval's "why" and in the
// replay's step panel, linked to the step that wrote them. The endpoint is removed again so
// other tests see none.

const API_KEY = "sk-keel-browser-3e1f5a7c9b";
let server: OpenAIServer;

const node = (id: string, type: string, config: Record<string, unknown> = {}, x = 0) => ({ id, type, typeVersion: 1, label: id, position: { x, y: 0 }, config });
const edge = (id: string, source: string, target: string, sourcePort = "out") => ({ id, source, sourcePort, target, targetPort: "in" });

/** Publishes a graph and runs it once; resolves when the run reaches `status`. */
async function runOf(page: Page, name: string, graph: unknown, input: unknown, status: string) {
  const wf = await api(page, "workflow.create", { name, graph });
  await api(page, "workflow.publish", { id: wf.id });
  const run = await api(page, "run.start", { workflow: wf.id, input });
  await expect.poll(async () => (await query(page, "run.get", { id: run.id })).status, { timeout: 30_000 }).toBe(status);
  return run.id as string;
}

test.beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: API_KEY });
});
test.afterAll(async () => {
  await server.close();
});
// The browser tests share one Keel: whatever happens here, the tests after it see no endpoint.
test.afterEach(async ({ page }) => {
  await api(page, "settings.saveLlmEndpoint", { baseUrl: "", apiKey: "" });
});

test("the LLM endpoint is saved from Settings, tested against a local server, and the key is never shown", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "LLM endpoint" });
  await expect(form.getByTestId("llm-key-state")).toHaveText("not set");

  await form.getByLabel("Base URL").fill("not a url");
  await form.getByRole("button", { name: "Save endpoint" }).click();
  await expect(form.locator("#llm-baseUrl-error")).toContainText("must be an http:// or https:// URL");

  await form.getByLabel("Base URL").fill(server.baseURL);
  await form.getByLabel(/API key/).fill("sk-wrong");
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.locator("#llm-apiKey-error")).toContainText("refused the API key (401)");
  await expect(form.getByLabel(/API key/)).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel(/API key/).fill(API_KEY);
  await form.getByRole("button", { name: "Save endpoint" }).click();
  await expect(form.getByTestId("llm-connection")).toHaveText("Endpoint saved.");
  await expect(form.getByTestId("llm-key-state")).toHaveText("set");
  await expect(page.getByTestId("llm-endpoint")).toContainText(`Endpoint: ${new URL(server.baseURL).host}, with an API key (from Settings).`);

  // The key field is write-only: empty after saving; the test then uses the stored key.
  await expect(form.getByLabel(/API key/)).toHaveValue("");
  await form.getByRole("button", { name: "Test connection" }).focus();
  await page.keyboard.press("Enter");
  await expect(form.getByTestId("llm-connection")).toContainText(`Connected to ${new URL(server.baseURL).host}`);
  await expect(page.locator("body")).not.toContainText(API_KEY);

  // With no default model, LLM steps that name none would fail: the page says so and offers
  // the server's own models, one press each. (The default model is put back afterwards.)
  const defaultModel = page.getByLabel("Default model (for LLM steps that name none)");
  const previousModel = await defaultModel.inputValue();
  if (previousModel) {
    await defaultModel.fill("");
    await page.getByRole("button", { name: "Save LLM settings" }).click();
    await expect(page.getByText("LLM settings saved.")).toBeVisible();
  }
  await expect(page.getByTestId("llm-no-default-model")).toBeVisible();
  await form.getByRole("button", { name: "Test connection" }).click();
  const pick = form.getByTestId("llm-pick-model");
  await expect(pick.getByRole("button")).toHaveText(["gpt-4o-mini", "keel-chat", "text-embedding-3-small", "keel-embed"]);
  await page.screenshot({ path: "test-results/screenshots/settings-llm-endpoint-1280.png", fullPage: true });
  await pick.getByRole("button", { name: "keel-chat" }).click();
  await expect(defaultModel).toHaveValue("keel-chat");
  await expect(pick).toHaveCount(0);
  await expect(page.getByTestId("llm-no-default-model")).toHaveCount(0);
  await defaultModel.fill(previousModel);
  await page.getByRole("button", { name: "Save LLM settings" }).click();
  await expect(page.getByText("LLM settings saved.")).toBeVisible();

  await page.reload();
  await expect(page.getByRole("form", { name: "LLM endpoint" }).getByLabel("Base URL")).toHaveValue(server.baseURL);
  expect(await page.content()).not.toContain(API_KEY);

  // Memory provenance: one run writes a memory item; a routed run's prompt reads it.
  const writer = await runOf(
    page,
    "Remember a preference",
    { schemaVersion: 1, nodes: [node("start", "trigger.manual"), node("note", "memory.remember", { subject: "contact:ada@example.com", kind: "preference", text: "Ada prefers short answers" }, 240)], edges: [edge("e1", "start", "note")] },
    {},
    "succeeded",
  );
  const item = ((await query(page, "run.replay", { id: writer })).memoryItems as { id: string; text: string }[])[0]!;
  const answer = {
    schemaVersion: 1,
    nodes: [node("start", "trigger.manual"), node("draft", "llm.chat", { model: "keel-chat", prompt: "Known about Ada: {{ input.context.memory.text }}" }, 240), node("check", "human.approval", { title: "Send the draft?" }, 480)],
    edges: [edge("e1", "start", "draft"), edge("e2", "draft", "check")],
  };
  const reader = await runOf(page, "Answer with memory", answer, { context: { summary: null, memory: [{ id: item.id, text: item.text, kind: "preference", score: 0.9, runId: writer }] } }, "waiting");
  const approvalId = ((await query(page, "approval.pending")) as { id: string; runId: string }[]).find((p) => p.runId === reader)!.id;
  await page.goto(`/approvals/${approvalId}`);
  const why = page.getByTestId("why-memory-item");
  await expect(why).toHaveAttribute("data-item-id", item.id);
  await expect(why).toContainText("Ada prefers short answers");
  await expect(why.getByRole("link", { name: "written by this run step" })).toHaveAttribute("href", new RegExp(`^/runs/${writer}\\?step=\\d+$`));
  await page.getByTestId("why").getByRole("link", { name: "draft" }).click();
  const panel = page.getByTestId("step-panel");
  await expect(panel).toHaveAttribute("data-node-id", "draft");
  await expect(panel.getByTestId("step-memory-used").getByTestId("memory-item")).toContainText("Ada prefers short answers");
  await panel.getByTestId("step-memory-used").scrollIntoViewIfNeeded();
  await page.screenshot({ path: "test-results/screenshots/replay-memory-provenance-1280.png" });
  await page.goto(`/approvals/${approvalId}`);
  await why.scrollIntoViewIfNeeded();
  await page.screenshot({ path: "test-results/screenshots/approval-why-memory-1280.png" });
  await api(page, "approval.decide", { approvalId, decision: "reject", comment: "test over" });
  await page.goto("/settings");
  await expect(page.getByRole("form", { name: "LLM endpoint" }).getByLabel("Base URL")).toHaveValue(server.baseURL);

  // Leave no endpoint behind for the other browser tests.
  await page.getByRole("form", { name: "LLM endpoint" }).getByLabel("Base URL").fill("");
  await page.getByRole("form", { name: "LLM endpoint" }).getByRole("button", { name: "Save endpoint" }).click();
  await expect(page.getByTestId("llm-endpoint")).toContainText("No endpoint is configured");
  await expect(page.getByRole("form", { name: "LLM endpoint" }).getByTestId("llm-key-state")).toHaveText("not set");
});
