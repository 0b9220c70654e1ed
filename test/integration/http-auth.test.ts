import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { ensureSecret } from "../../server/secret-key";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";

// http.request with a credential: each kind sends the right header, and whatever the step
// stores (output, failed attempts, dead letter, run error) shows `[redacted:<name>]` where the
// secret was, even when the peer echoes it back raw, base64-encoded or URL-encoded.

const TOKEN = "tok-9d2c4e1f-echoed-by-the-peer";
const PASSWORD = "pw/with+special chars&=";

describe.each(databaseKinds())("http.request auth on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let worker: Worker;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-auth-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database);
    // Echoes what identifies the caller, in every encoding a careless API might use.
    sink = await startSink((call) => {
      const seen = call.headers.authorization ?? call.headers["x-api-key"] ?? "";
      const status = call.path.startsWith("/deny") ? 403 : 200;
      return { status, body: { seen, encoded: encodeURIComponent(String(seen)), b64: Buffer.from(String(seen)).toString("base64"), body: call.body } };
    });
    await services.credentials.create({ name: "api-token", kind: "bearer", secret: { token: TOKEN } });
    await services.credentials.create({ name: "api-login", kind: "basic", secret: { user: "keel", password: PASSWORD } });
    await services.credentials.create({ name: "api-key", kind: "header", secret: { name: "X-Api-Key", value: TOKEN } });
    worker = new Worker(runtimeDeps(env.database, { secret: ensureSecret(config.dataDir, config.secret).secret }), { id: `auth-${kind.name}` });
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });

  async function run(config: Record<string, unknown>, input: unknown = {}) {
    const graph: Graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("call", "http.request", config), n("done", "flow.end")], edges: [e("e1", "start", "call"), e("e2", "call", "done")] };
    const wf = await services.workflows.create({ name: `Auth ${Math.random()}`, graph });
    await services.publishing.publish({ id: wf.id });
    const started = await services.runs.start({ workflow: wf.id, input });
    await worker.drain();
    return env.database.db.run.findUniqueOrThrow({ where: { id: started.id } });
  }

  async function storedText(runId: string): Promise<string> {
    const db = env.database.db;
    const rows = [
      await db.run.findMany({ where: { id: runId } }),
      await db.runEvent.findMany({ where: { runId } }),
      await db.effect.findMany({ where: { runId } }),
      await db.checkpoint.findMany({ where: { runId } }),
      await db.deadLetter.findMany({ where: { runId } }),
    ];
    return JSON.stringify(rows);
  }

  it.each([
    ["api-token", `Bearer ${TOKEN}`, "authorization"],
    ["api-login", `Basic ${Buffer.from(`keel:${PASSWORD}`).toString("base64")}`, "authorization"],
    ["api-key", TOKEN, "x-api-key"],
  ])("sends %s and stores only [redacted:%s]", async (credential, header, name) => {
    const done = await run({ url: `${sink.url}/ok`, auth: { credential } });
    expect(done.status).toBe("succeeded");
    expect(sink.calls.at(-1)!.headers[name]).toBe(header);
    const stored = await storedText(done.id);
    expect(stored).toContain(`[redacted:${credential}]`);
    for (const secret of [TOKEN, PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`keel:${PASSWORD}`).toString("base64"), Buffer.from(header).toString("base64").slice(0, -4)]) expect(stored).not.toContain(secret);
  });

  it("redacts an error message that echoes the secret, in the failure, the dead letter and the run", async () => {
    const dead = await run({ url: `${sink.url}/deny`, auth: { credential: "api-token" } });
    expect(dead.status).toBe("dead");
    expect((dead.error as { message: string }).message).toContain("answered 403");
    expect((dead.error as { message: string }).message).toContain("Bearer [redacted:api-token]");
    expect(await storedText(dead.id)).not.toContain(TOKEN);
  });

  it("names the field when the credential is missing or of another kind", async () => {
    await services.credentials.create({ name: "mail", kind: "smtp", secret: { host: "127.0.0.1", from: "a@b.c" } });
    const missing = await run({ url: `${sink.url}/ok`, auth: { credential: "nope" } });
    expect((missing.error as { message: string }).message).toBe("auth.credential: there is no credential named 'nope'; add it in Settings");
    const wrong = await run({ url: `${sink.url}/ok`, auth: { credential: "mail" } });
    expect((wrong.error as { message: string }).message).toBe("auth.credential: 'mail' is a smtp credential; this step needs bearer or basic or header");
  });

  it("refuses a malformed secret naming its field", async () => {
    await expect(services.credentials.create({ name: "bad-basic", kind: "basic", secret: { user: "a:b", password: "x" } })).rejects.toThrow("secret.user: must not contain ':'");
    await expect(services.credentials.create({ name: "bad-header", kind: "header", secret: { name: "X Key", value: "v" } })).rejects.toThrow("secret.name: must be a header name (letters, digits and -)");
    await expect(services.credentials.create({ name: "bad-header2", kind: "header", secret: { name: "Host", value: "v" } })).rejects.toThrow("secret.name: is set by Keel itself");
  });

  it("renders body templates: a JSON body with {{ }} values, and a template string", async () => {
    await run({ method: "POST", url: `${sink.url}/json`, body: { customer: "{{ input.name }}", items: ["{{ input.n }}", 2], nested: { note: "hi {{ input.name }}" } } }, { name: "Ada", n: 7 });
    expect(sink.calls.at(-1)!.method).toBe("POST");
    expect(JSON.parse(sink.calls.at(-1)!.body)).toEqual({ customer: "Ada", items: [7, 2], nested: { note: "hi Ada" } });
    expect(sink.calls.at(-1)!.headers["content-type"]).toBe("application/json");
    await run({ method: "POST", url: `${sink.url}/text`, headers: { "Content-Type": "text/csv" }, body: "name,n\n{{ input.name }},{{ input.n }}" }, { name: "Ada", n: 7 });
    expect(sink.calls.at(-1)).toMatchObject({ body: "name,n\nAda,7" });
    expect(sink.calls.at(-1)!.headers["content-type"]).toBe("text/csv");
  });
});
