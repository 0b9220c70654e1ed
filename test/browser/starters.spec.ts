import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import config, { OPERATOR_STATE } from "../../playwright.config";
import { LLM_ENDPOINT_TTL_MS } from "../../server/llm/endpoint";
import { allowPeer } from "../support/browser-egress";
import { startSink } from "../support/http-sink";
import { startOpenAIServer, type ChatRequest, type ChatReply, type OpenAIServer } from "../support/openai-server";
import { startSmtpSink } from "../support/smtp-sink";
import { api as mutate, query } from "../support/browser-trpc";

// The three starter workflows end to end in the browser, as seeded (published on first start),
// against peers this file starts: an SMTP server, an HTTP sink (the CMS) and an OpenAI-compatible
// server. Requests arrive through the API with a token; the operator works only in the pages:
// the editor's outbox-only badge, the approval queue (triage rows, forms, edit-and-approve), the
// replay and memory search. What the operator edits at an approval is what reaches the peer.
// First with no LLM endpoint, then with one saved on the Settings page.

const SMTP_USER = "keel";
const SMTP_PASSWORD = "smtp-starters-secret-7d21";
const LLM_KEY = "sk-keel-starters-4f0a9c";

let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let sink: Awaited<ReturnType<typeof startSink>>;
let llm: OpenAIServer;
let api: APIRequestContext;
let routingBefore: unknown;
let llmBefore: { defaultModel?: string; prices: Record<string, unknown> } | undefined;

const BASE_URL = config.use!.baseURL!;

const textOf = (content: unknown) => (typeof content === "string" ? content : JSON.stringify(content ?? ""));

/** The model, by what each request asks: the router, the support classifier, the two drafts. */
function model(request: ChatRequest): ChatReply {
  const system = textOf(request.messages.find((m) => m.role === "system")?.content);
  const user = textOf([...request.messages].reverse().find((m) => m.role === "user")?.content);
  if (system.startsWith("You route requests")) {
    const label = /invoice/i.test(user) ? "support" : /post/i.test(user) ? "content" : "onboarding";
    return { content: JSON.stringify({ label, confidence: 0.95, reason: `it is about ${label}` }) };
  }
  if (system.includes("answer support requests")) return { content: "Dear Linus, the model's draft: we will look into it." };
  if (system.includes("blog posts")) return { content: "A model-written post about the booking page." };
  if (/billing/.test(system + user) && /bug/.test(system + user)) return { content: JSON.stringify({ label: "billing", confidence: 0.9 }) };
  return { content: "A short summary." };
}

/** A request posted through the API with a token, as another system would. */
async function submitIntent(input: { text: string; email?: string; name?: string; fields?: Record<string, unknown> }) {
  const response = await api.post("/api/trpc/intent.submit", { data: input });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()).result.data as { id: string; status: string; via: string | null; label: string | null; runId: string | null };
}

const runStatus = async (page: Page, runId: string) => ((await query(page, "run.get", { id: runId })) as { status: string }).status;
const mailTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

/** Opens the queue item with this title (a form or an approval) from /approvals by clicking it. */
async function openFromQueue(page: Page, title: string) {
  await page.goto("/approvals");
  const link = page.getByTestId("approval-item").getByRole("link", { name: title });
  // The worker reaches the step on its own time; the queue updates live.
  await expect(link).toBeVisible({ timeout: 30_000 });
  await link.click();
}

async function editAndApprove(page: Page, title: string, field: string, text: string) {
  await openFromQueue(page, title);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  await page.getByRole("button", { name: /Edit and approve/ }).click();
  await page.getByRole("textbox", { name: field, exact: true }).fill(text);
  await page.getByRole("button", { name: "Approve with edits" }).click();
  await expect(page.getByTestId("approval-state")).toHaveText("Approved");
}

test.describe.configure({ mode: "serial" });
test.setTimeout(120_000);

test.beforeAll(async () => {
  [smtp, sink, llm] = await Promise.all([startSmtpSink({ user: SMTP_USER, password: SMTP_PASSWORD }), startSink(), startOpenAIServer({ apiKey: LLM_KEY, responder: model })]);
});

test.afterAll(async ({ browser }) => {
  // Leave the shared Keel as the other browser tests expect it: no endpoint, no SMTP credential,
  // the LLM and routing settings as they were.
  const context = await browser.newContext({ baseURL: BASE_URL, storageState: OPERATOR_STATE });
  try {
    const page = await context.newPage();
    await mutate(page, "settings.saveLlmEndpoint", { baseUrl: "", apiKey: "" });
    if (llmBefore) await mutate(page, "settings.saveLlm", { defaultModel: llmBefore.defaultModel ?? "", prices: llmBefore.prices });
    const credentials = (await query(page, "credential.list")) as { name: string }[];
    if (credentials.some((c) => c.name === "smtp")) await mutate(page, "credential.remove", { name: "smtp" });
    if (routingBefore) await mutate(page, "intent.saveRouting", routingBefore);
  } finally {
    await context.close();
    await api?.dispose();
    await Promise.all([smtp?.close(), sink?.close(), llm?.close()]);
  }
});

test("without an LLM: the editor marks outbox-only mail; support triage, content publishing (routed from the approval queue's triage) and onboarding reach the peers with the operator's edits", async ({ page, playwright }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  const { token } = (await mutate(page, "auth.tokens.create", { name: "starters e2e" })) as { token: string };
  api = await playwright.request.newContext({ baseURL: BASE_URL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  await allowPeer(page, sink.url);
  routingBefore = await query(page, "intent.routing");
  // Rules for two kinds of request; minSimilarity 1 keeps the memory fallback out, so anything
  // else waits in triage whatever earlier tests routed.
  await mutate(page, "intent.saveRouting", {
    threshold: 0.6,
    minSimilarity: 1,
    rules: [
      { id: "charges", when: '$contains($lowercase(text), "charged")', label: "support" },
      { id: "signups", when: '$contains($lowercase(text), "sign me up")', label: "onboarding" },
    ],
  });

  // Seeded and published on first start: no publish step before trying them.
  const workflows = (await query(page, "workflow.list")) as { id: string; slug: string; currentVersion: number | null }[];
  const bySlug = new Map(workflows.map((w) => [w.slug, w]));
  expect(["customer-onboarding", "support-triage", "content-publishing"].map((slug) => bySlug.get(slug)?.currentVersion ?? null).every((v) => v !== null)).toBe(true);

  // No SMTP credential yet: the editor says the answer will only reach the outbox, and why.
  await page.goto(`/workflows/${bySlug.get("support-triage")!.id}`);
  const send = page.locator('[data-testid="canvas-node"][data-node-id="send"]');
  await expect(send.getByTestId("node-delivery")).toHaveText("Outbox only: not sent");
  await send.click();
  const notice = page.getByTestId("delivery-notice");
  await expect(notice).toContainText("This email will only reach the outbox.");
  await expect(notice).toContainText("There is no SMTP credential named 'smtp': its email stays in the outbox, not sent");
  await expect(notice.getByRole("link", { name: "Add an SMTP credential in Settings → Credentials" })).toHaveAttribute("href", "/settings#credentials-heading");
  // Zoom in at the node (the whole graph fits at a small scale) so the screenshot shows the badge.
  const box = (await send.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -300);
  await expect(send.getByTestId("node-delivery")).toBeVisible();
  await page.screenshot({ path: "test-results/screenshots/editor-outbox-only-1280.png" });

  // The notice's link leads to the fix: the SMTP credential the templates name.
  const editorUrl = page.url();
  await notice.getByRole("link", { name: "Add an SMTP credential in Settings → Credentials" }).click();
  await expect(page).toHaveURL(/\/settings#credentials-heading$/);
  const smtpForm = page.getByRole("form", { name: "New SMTP credential" });
  await smtpForm.getByLabel(/^Name/).fill("smtp");
  await smtpForm.getByLabel("SMTP host").fill("127.0.0.1");
  await smtpForm.getByLabel("Port").fill(String(smtp.port));
  await smtpForm.getByLabel("User").fill(SMTP_USER);
  await smtpForm.getByLabel("Password").fill(SMTP_PASSWORD);
  await smtpForm.getByLabel("From").fill("Keel <ops@example.test>");
  await smtpForm.getByRole("button", { name: "Save SMTP credential" }).click();
  // Cleared once saved.
  await expect(smtpForm.getByLabel(/^Name/)).toHaveValue("");
  expect(await query(page, "outbox.undeliverable", { workflow: "support-triage" })).toEqual([]);
  const checked = page.waitForResponse((r) => r.url().includes("outbox.undeliverable"));
  await page.goto(editorUrl);
  await checked;
  await expect(page.locator('[data-testid="canvas-node"][data-node-id="send"]')).toBeVisible();
  await expect(page.getByTestId("node-delivery")).toHaveCount(0);

  // Support triage: routed by the rule, the operator writes the answer, edits it at the approval.
  const support = await submitIntent({ text: "I was charged twice for my subscription in November.", email: "grace@example.test", name: "Grace" });
  expect([support.status, support.via, support.label]).toEqual(["routed", "rule", "support"]);
  await openFromQueue(page, "Answer Grace (billing)");
  await page.getByLabel("Answer").fill("Sorry about that, we will refund one charge.");
  await page.getByRole("button", { name: "Submit" }).click();
  await expect(page.getByTestId("form-state")).toHaveText("Submitted");
  await editAndApprove(page, "Send this answer to grace@example.test?", "Answer", "EDITED: the duplicate charge is refunded today.");
  await expect.poll(() => mailTo("grace@example.test").length, { timeout: 30_000 }).toBe(1);
  expect(mailTo("grace@example.test")[0]!.raw).toContain("EDITED: the duplicate charge is refunded today.");
  expect(mailTo("grace@example.test")[0]!.raw).not.toContain("we will refund one charge");
  await page.goto(`/runs/${support.runId}`);
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 30_000 });
  await page.goto("/memory");
  await page.getByLabel("Find").fill("refund of a duplicate charge");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("memory-result").filter({ hasText: "Answer sent: EDITED: the duplicate charge is refunded today." })).toHaveCount(1);

  // Content publishing: no rule matches, so it waits in the approval queue as a request to route.
  const countBefore = (await query(page, "approval.count")) as { pending: number; triage: number };
  await page.goto("/approvals");
  const waitingBefore = countBefore.pending + countBefore.triage;
  if (waitingBefore > 0) await expect(page.getByTestId("approval-count")).toHaveText(String(waitingBefore));
  else await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  const post = await submitIntent({ text: "Please announce our spring opening hours on the website", fields: { topic: "spring opening hours", publishUrl: `${sink.url}/posts` } });
  expect(post.status).toBe("triage");
  // Live, without a reload: the request reaches the open queue through the change feed, and the
  // queue's count in the navigation includes it.
  await expect(page.getByTestId("approval-count")).toHaveText(String(countBefore.pending + countBefore.triage + 1));
  const triage = page.getByTestId("triage-item").filter({ hasText: "spring opening hours" });
  await expect(triage).toHaveAttribute("data-kind", "triage");
  await page.screenshot({ path: "test-results/screenshots/approvals-triage-1280.png" });
  // Keyboard: Tab reaches the choice and the Route button.
  await triage.getByLabel("Send to").focus();
  await triage.getByLabel("Send to").selectOption({ label: "Content publishing (content)" });
  await page.keyboard.press("Tab");
  await expect(triage.getByRole("button", { name: "Route" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(triage).toHaveCount(0);
  await expect(page.getByTestId("queue-message")).toHaveText("Sent to Content publishing; Keel learns from your choice.");
  const routed = (await query(page, "intent.get", { id: post.id })) as { status: string; via: string; runId: string };
  expect([routed.status, routed.via]).toEqual(["routed", "operator"]);
  await openFromQueue(page, "Write the post");
  await page.getByLabel("Title").fill("Spring hours");
  await page.getByLabel("Body").fill("We open at 8 from March.");
  await page.getByRole("button", { name: "Submit" }).click();
  await expect(page.getByTestId("form-state")).toHaveText("Submitted");
  await editAndApprove(page, "Publish 'Spring hours'?", "Body", "EDITED: we open at 7:30 from March.");
  await expect.poll(() => sink.calls.length, { timeout: 30_000 }).toBe(1);
  expect(JSON.parse(sink.calls[0]!.body)).toEqual({ title: "Spring hours", body: "EDITED: we open at 7:30 from March." });
  await expect.poll(() => runStatus(page, routed.runId), { timeout: 30_000 }).toBe("succeeded");

  // Onboarding, a test run: welcome mail sent, deal opened, the two-day wait skipped.
  const signup = await submitIntent({ text: "Sign me up please", email: "alan@example.test", name: "Alan Turing", fields: { company: "Bletchley", source: "the website", test: true } });
  expect([signup.via, signup.label]).toEqual(["rule", "onboarding"]);
  await expect.poll(() => runStatus(page, signup.runId!), { timeout: 30_000 }).toBe("succeeded");
  const subjects = mailTo("alan@example.test").map((m) => /Subject: (.*)/.exec(m.raw)?.[1]);
  expect(subjects).toEqual(["Welcome aboard, Alan Turing", "How is it going, Alan Turing?"]);
  const events = (await query(page, "run.events", { id: signup.runId })) as { nodeId: string | null }[];
  expect(events.some((e) => e.nodeId === "wait")).toBe(false);
  const note = (await query(page, "memory.search", { query: "onboarded", subject: "contact:alan@example.test", topK: 3 })) as { items: { text: string }[] };
  expect(note.items.map((i) => i.text)).toContain("Onboarded Alan Turing (Bletchley), signed up via the website; deal 'Onboarding Alan Turing' opened; welcome and check-in emails sent.");
});

test("with an LLM endpoint saved in Settings: the model routes, classifies and drafts; the operator's edits are what is mailed and published", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "LLM endpoint" });
  await form.getByLabel("Base URL").fill(llm.baseURL);
  await form.getByLabel(/API key/).fill(LLM_KEY);
  await form.getByRole("button", { name: "Save endpoint" }).click();
  await expect(form.getByTestId("llm-connection")).toHaveText("Endpoint saved.");
  // The templates' LLM steps name no model: they use the default chosen here.
  llmBefore = (await query(page, "settings.llm")) as { defaultModel?: string; prices: Record<string, unknown> };
  const settings = page.getByRole("form", { name: "LLM settings" });
  await settings.getByLabel(/Default model/).fill("gpt-4o-mini");
  await settings.getByRole("button", { name: "Save LLM settings" }).click();
  await expect(page.getByText("LLM settings saved.")).toBeVisible();

  // The router runs in the web process, which saved the endpoint: the model routes at once.
  const signup = await submitIntent({ text: "New customer Barbara Liskov would like to get started", email: "barbara@example.test", name: "Barbara Liskov", fields: { company: "CLU", source: "a talk", test: true } });
  expect([signup.via, signup.label]).toEqual(["llm", "onboarding"]);
  await expect.poll(() => runStatus(page, signup.runId!), { timeout: 30_000 }).toBe("succeeded");
  expect(mailTo("barbara@example.test").map((m) => /Subject: (.*)/.exec(m.raw)?.[1])).toEqual(["Welcome aboard, Barbara Liskov", "How is it going, Barbara Liskov?"]);
  // The worker, another process, reads the endpoint again once its cache expires.
  await page.waitForTimeout(LLM_ENDPOINT_TTL_MS);

  const support = await submitIntent({ text: "My invoice for December shows the wrong VAT.", email: "linus@example.test", name: "Linus" });
  expect([support.via, support.label]).toEqual(["llm", "support"]);
  await editAndApprove(page, "Send this answer to linus@example.test?", "Answer", "EDITED BY OPERATOR: corrected invoice attached.");
  await expect.poll(() => mailTo("linus@example.test").length, { timeout: 30_000 }).toBe(1);
  expect(mailTo("linus@example.test")[0]!.raw).toContain("EDITED BY OPERATOR: corrected invoice attached.");
  expect(mailTo("linus@example.test")[0]!.raw).not.toContain("the model's draft");
  await page.goto(`/runs/${support.runId}`);
  await expect(page.getByTestId("run-status")).toHaveText("succeeded", { timeout: 30_000 });
  const events = (await query(page, "run.events", { id: support.runId })) as { nodeId: string | null }[];
  expect(events.some((e) => e.nodeId === "draft")).toBe(true);
  expect(events.some((e) => e.nodeId === "write")).toBe(false);

  const post = await submitIntent({ text: "Write a post announcing the booking page", fields: { topic: "the booking page", publishUrl: `${sink.url}/posts` } });
  expect([post.via, post.label]).toEqual(["llm", "content"]);
  // The run stops at the review (a failure here names the state it reached instead).
  await expect.poll(() => runStatus(page, post.runId!), { timeout: 30_000, message: `content run ${post.runId}` }).toBe("waiting");
  await editAndApprove(page, "Publish 'the booking page'?", "Body", "EDITED: book online at any hour.");
  await expect.poll(() => sink.calls.length, { timeout: 30_000 }).toBe(2);
  expect(JSON.parse(sink.calls[1]!.body)).toEqual({ title: "the booking page", body: "EDITED: book online at any hour." });
  await expect.poll(() => runStatus(page, post.runId!), { timeout: 30_000 }).toBe("succeeded");
});
