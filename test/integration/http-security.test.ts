import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../engine/store";
import { loadConfig } from "../../server/config";
import { freePort } from "../../server/process/wait";
import { appRouter } from "../../server/trpc/router";
import { KeelHttp } from "../support/http";
import { runKeel, type KeelProcess } from "../support/keel-process";
import { postLarge } from "../support/large-post";
import { appRoutes, fillRoute, procedures } from "../support/routes";

// The access matrix is generated from the router and the app's files: a procedure, page or
// route handler added later is covered without editing this test.

const PASSWORD = "correct horse battery staple";
// The email's approval links: the signed one-time token is the credential (server/services/approval-links.ts).
const PUBLIC_PROCEDURES = ["approvalLink.inspect", "approvalLink.use", "auth.login", "auth.logout", "auth.setup", "auth.status", "health"];
const PUBLIC_PAGES = ["/approval-link", "/login", "/setup"];
// Route handlers with their own authentication; /api/trpc is covered procedure by procedure.
const SELF_AUTHENTICATED_ROUTES = ["/api/intents", "/api/intents/email", "/api/webhooks/[workflow]", "/metrics"];

/** The SSE text of a response up to the first event named `until` (or 5 s), then the stream is dropped. */
async function sseUntil(response: Response, until: string): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 5_000;
  while (!text.includes(`event: ${until}`) && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 1_000))]);
    if (next === null) continue;
    if (next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  await reader.cancel().catch(() => undefined);
  return text;
}

async function startKeel(env: Record<string, string>): Promise<{ keel: KeelProcess; base: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "keel-http-"));
  const port = await freePort();
  const keel = runKeel(["start"], { KEEL_DATA_DIR: dataDir, PORT: String(port), ...env });
  await keel.waitFor(/Keel is running at/);
  return { keel, base: `http://127.0.0.1:${port}`, dataDir };
}

async function stopKeel(server: { keel: KeelProcess; dataDir: string } | undefined) {
  if (!server) return;
  server.keel.child.kill("SIGINT");
  await server.keel.exited;
  rmSync(server.dataDir, { recursive: true, force: true });
}

describe("a running Keel, signed out", () => {
  let server: Awaited<ReturnType<typeof startKeel>>;
  let anonymous: KeelHttp;
  let operator: KeelHttp;
  let workflowId: string;

  beforeAll(async () => {
    // The tests speak for several clients through X-Forwarded-For, as a proxy in front would.
    server = await startKeel({ KEEL_PASSWORD: PASSWORD, KEEL_TRUSTED_PROXIES: "127.0.0.1" });
    anonymous = new KeelHttp(server.base);
    operator = new KeelHttp(server.base);
    expect((await operator.signIn(PASSWORD)).status).toBe(200);
    const list = await (await operator.call("workflow.list", "query")).json();
    workflowId = list.result.data[0].id;
  }, 300_000);
  afterAll(() => stopKeel(server));

  it("declares the access of every procedure, and only the sign-in ones are public", () => {
    const all = procedures(appRouter);
    expect(all.length).toBeGreaterThan(PUBLIC_PROCEDURES.length);
    expect(all.filter((p) => p.access === undefined)).toEqual([]);
    expect(all.filter((p) => p.access === "public").map((p) => p.path).sort()).toEqual(PUBLIC_PROCEDURES);
  });

  it("refuses every operator procedure without a session (401)", async () => {
    const refused: string[] = [];
    for (const procedure of procedures(appRouter).filter((p) => p.access === "operator")) {
      const response = await anonymous.call(procedure.path, procedure.type === "mutation" ? "mutation" : "query", {});
      if (procedure.type === "subscription") {
        // A subscription answers over SSE: the refusal is its only event, and no data follows.
        const text = await sseUntil(response, "serialized-error");
        if (!text.includes("UNAUTHORIZED") || /\nevent: (?!connected|serialized-error)|\ndata: \{"id"/.test(`\n${text}`)) refused.push(`${procedure.path}: ${text.slice(0, 200)}`);
        continue;
      }
      const body = await response.json();
      if (response.status !== 401 || body.error?.data?.code !== "UNAUTHORIZED") refused.push(`${procedure.path}: ${response.status}`);
    }
    expect(refused).toEqual([]);
  });

  it("refuses a forged or expired session cookie like no cookie", async () => {
    const forged = new KeelHttp(server.base);
    forged.cookie = "keel_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    expect((await forged.call("workflow.list", "query")).status).toBe(401);
  });

  it("sends every operator page to the sign-in page without a session", async () => {
    const pages = appRoutes().filter((r) => r.kind === "page" && !PUBLIC_PAGES.includes(r.pattern));
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) {
      const url = fillRoute(page.pattern, { id: workflowId });
      const response = await fetch(`${server.base}${url}`, { redirect: "manual" });
      expect(response.status, url).toBe(307);
      expect(new URL(response.headers.get("location")!, server.base).pathname, url).toBe("/login");
    }
  });

  it("serves every page to the signed-in operator, and the public pages to anyone", async () => {
    for (const page of appRoutes().filter((r) => r.kind === "page")) {
      const url = fillRoute(page.pattern, { id: workflowId });
      const response = await fetch(`${server.base}${url}`, { headers: operator.headers(), redirect: "manual" });
      expect(response.status, url).toBe(200);
    }
    for (const url of PUBLIC_PAGES) expect((await fetch(`${server.base}${url}`, { redirect: "manual" })).status, url).toBe(200);
  });

  it("refuses every route handler without credentials, except those that authenticate by their own means", async () => {
    const routes = appRoutes().filter((r) => r.kind === "route" && r.pattern !== "/api/trpc/[trpc]");
    expect(routes.map((r) => r.pattern)).toEqual(SELF_AUTHENTICATED_ROUTES);
    for (const route of routes) {
      const response = await fetch(`${server.base}${fillRoute(route.pattern, { workflow: workflowId })}`, { method: "POST", body: "{}" });
      expect(response.status, route.pattern).toBe(401);
    }
  });

  it("sends the security headers with every page and API response", async () => {
    const urls = ["/login", "/", `/workflows/${workflowId}`, "/api/trpc/health"];
    for (const url of urls) {
      const response = await fetch(`${server.base}${url}`, { headers: operator.headers(), redirect: "manual" });
      expect(response.headers.get("x-content-type-options"), url).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), url).toBe("same-origin");
      expect(response.headers.get("x-frame-options"), url).toBe("DENY");
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
      expect(csp, url).not.toContain("unsafe-eval");
      expect(csp, url).not.toMatch(/script-src[^;]*unsafe-inline/);
    }
  });

  it("gives each page a fresh CSP nonce that its scripts carry", async () => {
    const [a, b] = await Promise.all([1, 2].map(() => fetch(`${server.base}/login`)));
    const nonce = (r: Response) => r.headers.get("content-security-policy")!.match(/'nonce-([^']+)'/)![1];
    expect(nonce(a!)).not.toBe(nonce(b!));
    const html = await a!.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce(a!)}"`);
  });

  it("sets the session cookie HttpOnly and SameSite", async () => {
    const response = await new KeelHttp(server.base).call("auth.login", "mutation", { password: PASSWORD });
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^keel_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
  });

  it("refuses cross-site mutations on a session, and accepts API tokens without the CSRF header", async () => {
    const input = { name: "csrf probe" };
    const noHeader = await fetch(`${server.base}/api/trpc/workflow.create`, {
      method: "POST",
      headers: operator.headers({ "content-type": "application/json" }),
      body: JSON.stringify(input),
    });
    expect(noHeader.status).toBe(403);
    expect((await operator.call("workflow.create", "mutation", input, { origin: "https://evil.example" })).status).toBe(403);
    expect((await operator.call("workflow.create", "mutation", input, { "sec-fetch-site": "cross-site" })).status).toBe(403);

    const created = await (await operator.call("auth.tokens.create", "mutation", { name: "script" })).json();
    const token = created.result.data.token as string;
    const viaToken = await fetch(`${server.base}/api/trpc/workflow.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "made by a script" }),
    });
    expect(viaToken.status).toBe(200);
    const list = await (await operator.call("workflow.list", "query")).json();
    expect(list.result.data.map((w: { name: string }) => w.name)).toContain("made by a script");
    expect(list.result.data.map((w: { name: string }) => w.name)).not.toContain("csrf probe");
  });

  it("refuses an oversized request body with a clear error", async () => {
    const huge = JSON.stringify({ id: workflowId, graph: { schemaVersion: 1, nodes: [], edges: [], pad: "x".repeat(3 * 1024 * 1024) } });
    const response = await fetch(`${server.base}/api/trpc/workflow.saveDraft`, {
      method: "POST",
      headers: operator.headers({ "content-type": "application/json", "x-keel-csrf": "1" }),
      body: huge,
    });
    expect(response.status).toBe(413);
    expect((await response.json()).error.message).toMatch(/^request body: is 3 MB; the limit is 2 MB$/);
  });

  it("refuses a graph over the size limit, naming the field", async () => {
    const label = "x".repeat(190);
    const nodes = Array.from({ length: 1_999 }, (_, i) => ({ id: `n${i}`, type: "flow.end", typeVersion: 1, label, position: { x: i, y: 0 }, config: { pad: "y".repeat(400) } }));
    const response = await operator.call("workflow.saveDraft", "mutation", { id: workflowId, graph: { schemaVersion: 1, nodes, edges: [] } });
    expect(response.status).toBe(413);
    expect((await response.json()).error.message).toMatch(/^graph: is 1\.\d MB; the limit is 1 MB$/);
  });

  it("runs a workflow from an authenticated webhook, answering with its result; refuses one without credentials", async () => {
    const created = await (await operator.call("auth.tokens.create", "mutation", { name: "hook" })).json();
    const token = created.result.data.token as string;
    const graph = {
      schemaVersion: 1,
      nodes: [
        { id: "hook", type: "trigger.webhook", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { respond: "result", timeoutSeconds: 60 } },
        { id: "shape", type: "data.transform", typeVersion: 1, label: "", position: { x: 1, y: 0 }, config: { expression: "{ 'greeting': 'hello ' & input.name }" } },
        { id: "done", type: "flow.end", typeVersion: 1, label: "", position: { x: 2, y: 0 }, config: { output: "{{ shape }}" } },
      ],
      edges: [
        { id: "e1", source: "hook", sourcePort: "out", target: "shape", targetPort: "in" },
        { id: "e2", source: "shape", sourcePort: "out", target: "done", targetPort: "in" },
      ],
    };
    const wf = (await (await operator.call("workflow.create", "mutation", { name: "Greeter", graph })).json()).result.data;
    expect((await operator.call("workflow.publish", "mutation", { id: wf.id })).status).toBe(200);

    const send = () =>
      fetch(`${server.base}/api/webhooks/greeter`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": "greet-1" },
        body: '{"name":"Ada"}',
      });
    const ok = await send();
    expect(ok.status).toBe(200);
    const answer = await ok.json();
    expect(answer).toMatchObject({ status: "succeeded", output: { greeting: "hello Ada" }, duplicate: false });
    // The same Idempotency-Key never starts a second run.
    expect(await (await send()).json()).toMatchObject({ runId: answer.runId, duplicate: true });

    // A workflow whose published version has no Webhook trigger says so (the delivery is kept).
    const draftOnly = await fetch(`${server.base}/api/webhooks/${workflowId}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: "{}" });
    expect(draftOnly.status).toBe(409);
    expect((await draftOnly.json()).error.message).toMatch(/has no published version with a Webhook trigger; the delivery was stored as /);

    const refused = await fetch(`${server.base}/api/webhooks/greeter`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="keel"');
  });

  it("refuses a 20 MB webhook body with 413 before reading it, declared or chunked, and starts no run; caps every other route's body too", async () => {
    const token = (await (await operator.call("auth.tokens.create", "mutation", { name: "big" })).json()).result.data.token as string;
    const hook = `${server.base}/api/webhooks/greeter`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const database = await openDatabase(loadConfig({ KEEL_DATA_DIR: server.dataDir }).database);
    try {
      const greeter = await database.db.workflow.findFirstOrThrow({ where: { slug: "greeter" }, select: { id: true } });
      const runsBefore = await database.db.run.count({ where: { workflowId: greeter.id } });
      for (const declare of [true, false]) {
        const refused = await postLarge(hook, { totalBytes: 20 * 1024 * 1024, declare, headers });
        expect(refused.status, `declared: ${declare}`).toBe(413);
        expect(JSON.parse(refused.body).error.message).toBe(declare ? "body: is 20 MB; the limit is 256 KB" : "body: is over 256 KB, the limit");
        // Answered before half the body was sent (here: 16 KB declared, the 256 KB limit and a
        // chunk undeclared), where Next's proxy would first have taken 10 MB.
        expect(refused.sentBeforeAnswer, `declared: ${declare}`).toBeLessThan(10 * 1024 * 1024);
      }
      expect(await database.db.run.count({ where: { workflowId: greeter.id } })).toBe(runsBefore);
      // A route Next serves: refused by the front server before Next's proxy clones the body.
      const trpc = await postLarge(`${server.base}/api/trpc/auth.login`, { totalBytes: 20 * 1024 * 1024, declare: false, headers: { "content-type": "application/json", "x-keel-csrf": "1" } });
      expect(trpc.status).toBe(413);
      expect(trpc.sentBeforeAnswer).toBeLessThan(10 * 1024 * 1024);
    } finally {
      await database.close();
    }
    // The front server's own answers carry the security headers the pages do.
    const answer = await fetch(hook, { method: "POST", headers, body: '{"name":"Grace"}' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(answer.headers.get("x-frame-options")).toBe("DENY");
    // Answered by the front server itself, not by Next (whose proxy sets a page's policy).
    expect(answer.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("rate-limits failed sign-ins with 429 and Retry-After", async () => {
    const stranger = new KeelHttp(server.base);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await stranger.call("auth.login", "mutation", { password: `guess ${i}` }, { "x-forwarded-for": "198.51.100.23" })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await stranger.call("auth.login", "mutation", { password: PASSWORD }, { "x-forwarded-for": "198.51.100.23" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("lets `keel reset-password` in the terminal sign out every session and set a new password", async () => {
    const before = new KeelHttp(server.base);
    expect((await before.signIn(PASSWORD)).status).toBe(200);
    const reset = runKeel(["reset-password", "--password-stdin"], { KEEL_DATA_DIR: server.dataDir }, { input: "a new passphrase, long\n" });
    expect(await reset.exited).toBe(0);
    expect(reset.output()).toMatch(/the operator password is set; every session was signed out/);
    expect((await before.call("workflow.list", "query")).status).toBe(401);
    expect((await new KeelHttp(server.base).signIn(PASSWORD)).status).toBe(401);
    expect((await new KeelHttp(server.base).signIn("a new passphrase, long")).status).toBe(200);
  });

  it("refuses a too-short password in `keel reset-password`, naming the field", async () => {
    const reset = runKeel(["reset-password", "--password-stdin"], { KEEL_DATA_DIR: server.dataDir }, { input: "short\n" });
    expect(await reset.exited).toBe(1);
    expect(reset.output().trim()).toBe("keel: password: must be at least 10 characters");
  });
});

describe("a fresh Keel without a password", () => {
  let server: Awaited<ReturnType<typeof startKeel>> | undefined;
  afterAll(() => stopKeel(server));

  it("prints a one-time set-up link that sets the password and signs in", async () => {
    server = await startKeel({});
    const link = (await server.keel.waitFor(/\/setup\?token=[A-Za-z0-9_-]+/)).replace(/^\/setup\?token=/, "");
    const client = new KeelHttp(server.base);
    const status = await (await client.call("auth.status", "query")).json();
    expect(status.result.data).toEqual({ configured: false, signedIn: false });
    expect((await client.call("auth.setup", "mutation", { token: "wrong", password: PASSWORD })).status).toBe(401);

    const response = await client.call("auth.setup", "mutation", { token: link, password: PASSWORD });
    expect(response.status).toBe(200);
    client.cookie = response.headers.get("set-cookie")!.split(";")[0];
    expect((await client.call("workflow.list", "query")).status).toBe(200);
    expect((await new KeelHttp(server.base).call("auth.setup", "mutation", { token: link, password: "someone else's" })).status).toBe(401);
  }, 300_000);
});
