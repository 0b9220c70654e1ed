import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";
import { runKeel } from "../support/keel-process";

// `keel dead-letters` and `keel token` as real processes on each database: a step that a
// local peer refuses dies; the CLI lists it and retries it under its own key once the peer
// answers; a token created by the CLI authenticates until the CLI revokes it.

/** Each `keel` here is a fresh process that compiles the CLI through tsx: a dozen take a while on a busy machine. */
const CLI_TEST_MS = 300_000;

describe.each(databaseKinds())("keel dead-letters and keel token on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let worker: Worker;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let refusing = true;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const dataDir = mkdtempSync(join(tmpdir(), "keel-ops-cli-"));
    cliEnv = { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url };
    services = servicesFor(loadConfig(cliEnv), env.database);
    worker = new Worker(runtimeDeps(env.database), { id: `w-${kind.name}`, leaseMs: 60_000 });
    // A closed account is refused whatever the time: only edited input gets past it.
    sink = await startSink((call) => (refusing || call.body.includes('"closed"') ? { status: 400, body: { error: "unknown account" } } : { status: 200, body: { ok: true } }));
    await allowLoopback(env.database.db);
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });

  async function keel(args: string[]) {
    const p = runKeel(args, cliEnv);
    const code = await p.exited;
    return { code, output: p.output() };
  }

  it("lists dead letters and retries them under the same key", async () => {
    const wf = await services.workflows.create({
      name: "Ledger sync",
      graph: {
        schemaVersion: 1,
        nodes: [n("start", "trigger.manual"), n("post", "http.request", { method: "POST", url: `${sink.url}/ledger`, body: { id: "{{ input.id }}" } }), n("done", "flow.end")],
        edges: [e("e1", "start", "post"), e("e2", "post", "done")],
      },
    });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input: { id: "L-1" } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("dead");
    const [letter] = await services.deadLetterInbox();

    const listed = await keel(["dead-letters", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.output).toContain(`${letter!.id}  Ledger sync · post  [permanent]`);
    expect(listed.output).toContain("answered 400");
    const json = JSON.parse((await keel(["dead-letters", "list", "--json"])).output) as { id: string; runId: string; key: string }[];
    expect(json).toEqual([expect.objectContaining({ id: letter!.id, runId: run.id, key: `${run.id}:post:1` })]);

    expect((await keel(["dead-letters", "retry"])).output).toContain("which dead letters?");
    refusing = false;
    const retried = await keel(["dead-letters", "retry", "--all", "--workflow", "Ledger sync"]);
    expect(retried.code).toBe(0);
    expect(retried.output).toContain(`retried ${letter!.id}`);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    expect(new Set(sink.calls.map((c) => c.key))).toEqual(new Set([`${run.id}:post:1`]));
    expect((await keel(["dead-letters", "list"])).output.trim()).toBe("no open dead letters");
    const again = await keel(["dead-letters", "retry", letter!.id]);
    expect(again.code).toBe(1);
    expect(again.output).toContain("already handled");
    const audit = await env.database.db.auditLog.findFirst({ where: { action: "deadletter.retry", targetId: run.id } });
    expect(audit?.actor).toBe("cli");
  }, CLI_TEST_MS);

  it("retries one dead letter with edited run input, checked against the trigger's input schema, under a new key", async () => {
    const wf = await services.workflows.create({
      name: "Invoice push",
      graph: {
        schemaVersion: 1,
        nodes: [
          n("start", "trigger.manual", { inputSchema: { type: "object", properties: { account: { type: "string" } }, required: ["account"] } }, { typeVersion: 2 }),
          n("post", "http.request", { method: "POST", url: `${sink.url}/invoices`, body: { account: "{{ input.account }}" } }),
          n("done", "flow.end"),
        ],
        edges: [e("e1", "start", "post"), e("e2", "post", "done")],
      },
    });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input: { account: "closed" } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("dead");
    const letter = (await services.deadLetterInbox()).find((l) => l.runId === run.id)!;

    // Refused before anything changes: input that misses the schema (the field named), JSON that
    // does not parse, a file that is not there, and edited input for more than one run.
    const wrongType = await keel(["dead-letters", "retry", letter.id, "--input", '{"account": 7}']);
    expect(wrongType.code).toBe(1);
    expect(wrongType.output).toMatch(/input\.account: .*string/);
    const notJson = await keel(["dead-letters", "retry", letter.id, "--input", "{account"]);
    expect(notJson.code).toBe(1);
    expect(notJson.output).toContain("--input: not valid JSON");
    expect((await keel(["dead-letters", "retry", letter.id, "--input-file", join(cliEnv.KEEL_DATA_DIR!, "missing.json")])).output).toContain("--input-file: cannot read");
    expect((await keel(["dead-letters", "retry", "--all", "--input", "{}"])).output).toContain("give exactly one ID");
    expect((await keel(["dead-letters", "list"])).output).toContain(letter.id);
    expect((await services.runs.get(run.id)).status).toBe("dead");

    const file = join(cliEnv.KEEL_DATA_DIR!, "input.json");
    writeFileSync(file, JSON.stringify({ account: "A-77" }));
    const retried = await keel(["dead-letters", "retry", letter.id, "--input-file", file]);
    expect(retried.code).toBe(0);
    expect(retried.output).toContain(`retried ${letter.id} with the edited run input`);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    const posted = sink.calls.filter((c) => c.path === "/invoices");
    expect(posted.map((c) => [JSON.parse(c.body), c.key, c.status])).toEqual([
      [{ account: "closed" }, `${run.id}:post:1`, 400],
      [{ account: "A-77" }, `${run.id}:post:1:e1`, 200],
    ]);
    const audit = await env.database.db.auditLog.findFirst({ where: { action: "deadletter.retry", targetId: run.id } });
    expect(audit).toMatchObject({ actor: "cli", detail: expect.objectContaining({ edited: ["input"] }) });
  }, CLI_TEST_MS);

  it("creates, lists and revokes API tokens; a revoked token no longer authenticates", async () => {
    const created = await keel(["token", "create", "nightly", "export"]);
    expect(created.code).toBe(0);
    const token = created.output.split("\n")[0]!.trim();
    expect(token).toMatch(/^keel_[A-Za-z0-9_-]{40,}$/);
    expect(created.output).toContain("created API token 'nightly export'");
    expect(await services.auth.apiToken(token)).toMatchObject({ name: "nightly export" });

    const listed = await keel(["token", "list"]);
    expect(listed.output).toContain("nightly export");
    expect(listed.output).not.toContain(token);
    const [row] = JSON.parse((await keel(["token", "list", "--json"])).output) as { id: string; prefix: string; lastUsedAt: string | null }[];
    expect(token.startsWith(row!.prefix)).toBe(true);
    expect(row!.lastUsedAt).not.toBeNull();

    expect((await keel(["token", "revoke", "nope"])).output).toContain("no API token 'nope'");
    const revoked = await keel(["token", "revoke", row!.prefix]);
    expect(revoked.code).toBe(0);
    expect(revoked.output).toContain(`revoked ${row!.id} (nightly export)`);
    expect(await services.auth.apiToken(token)).toBeNull();
    expect((await keel(["token", "list"])).output).toContain("REVOKED");
    expect((await keel(["token", "create"])).output).toContain("name: is required");
  }, CLI_TEST_MS);
});
