import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, parseDatabaseUrl, type Database } from "../../engine/store";
import { loadConfig } from "../../server/config";
import { migrationsDir, servicesFor, type Services } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { operatorContext } from "../support/context";
import { databaseKinds, type DatabaseKind } from "../support/databases";
import { e, n } from "../support/graph-builders";
import { startChroma, type ChromaServer } from "../support/chroma-server";
import { startSink } from "../support/http-sink";
import { runKeel } from "../support/keel-process";

// The end-to-end proof that a credential's secret stays sealed: a real `keel worker` uses a
// bearer and a basic credential against a local peer that echoes the Authorization header back
// (raw, URL-encoded, base64), fails once with a 500 and once with a 400 quoting it. Afterwards
// the secret appears in no API answer, no export, no log line, and — on SQLite — in no byte of
// any file under the data directory (database, WAL, shared memory, key file, the local Chroma
// that indexed a memory item written from the echo, anything else).

const createCaller = createCallerFactory(appRouter);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

describe.each(databaseKinds())("secrets stay sealed on $name", (kind: DatabaseKind) => {
  const token = `tok-${randomBytes(16).toString("hex")}`;
  const password = `pw ${randomBytes(12).toString("base64")}/+&`;
  const forms = [
    token,
    password,
    encodeURIComponent(token),
    encodeURIComponent(password),
    Buffer.from(token).toString("base64").replace(/=+$/, ""),
    Buffer.from(password).toString("base64").replace(/=+$/, ""),
    Buffer.from(`keel:${password}`).toString("base64").replace(/=+$/, ""),
    Buffer.from(`Bearer ${token}`).toString("base64").replace(/=+$/, ""),
  ];
  const dataDir = mkdtempSync(join(tmpdir(), "keel-scan-"));
  let database: Database;
  let databaseUrl: string;
  let dispose: () => Promise<void>;
  let services: Services;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let chroma: ChromaServer;
  let logs = "";
  const runIds: string[] = [];
  let workflowId = "";

  const assertClean = (where: string, text: string) => {
    for (const form of forms) expect(text.includes(form), `${where} contains the secret as ${form}`).toBe(false);
  };

  beforeAll(async () => {
    if (kind.name === "sqlite") {
      // The database inside the data directory, as a real installation has it.
      const target = parseDatabaseUrl(`file:${join(dataDir, "keel.db")}`, dataDir);
      databaseUrl = target.url;
      await migrate(target, migrationsDir("sqlite"));
      database = await openDatabase(target);
      dispose = () => database.close();
    } else {
      const scratch = await kind.create();
      await migrate(scratch.target, migrationsDir(scratch.target.provider));
      database = await openDatabase(scratch.target);
      databaseUrl = scratch.target.url;
      dispose = async () => {
        await database.close();
        await scratch.dispose();
      };
    }
    services = servicesFor(loadConfig({ KEEL_DATA_DIR: dataDir, DATABASE_URL: databaseUrl }), database);
    sink = await startSink((call, attempt) => {
      const seen = String(call.headers.authorization ?? "");
      const echo = { seen, encoded: encodeURIComponent(seen), b64: Buffer.from(seen).toString("base64") };
      if (call.path === "/deny") return { status: 400, body: echo };
      return attempt === 1 ? { status: 500, body: echo } : { status: 200, body: echo };
    });
    await services.credentials.create({ name: "scan-token", kind: "bearer", secret: { token } });
    await services.credentials.create({ name: "scan-login", kind: "basic", secret: { user: "keel", password } });
    const fast = { retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 10, factor: 1 } };
    const wf = await services.workflows.create({
      name: "Scan",
      graph: {
        schemaVersion: 1,
        nodes: [
          n("start", "trigger.manual"),
          n("call", "http.request", { url: `${sink.url}/{{ input.path }}`, auth: { credential: "scan-token" } }, fast),
          n("login", "http.request", { url: `${sink.url}/{{ input.path }}`, auth: { credential: "scan-login" } }, fast),
          n("remember", "memory.remember", { subject: "project:scan", text: "The peer saw {{ call.body.seen }}, then {{ login.body.seen }} ({{ login.body.b64 }})" }),
          n("done", "flow.end", { output: { call: "{{ call }}", login: "{{ login }}" } }),
        ],
        edges: [e("a", "start", "call"), e("b", "call", "login"), e("c", "login", "remember"), e("d", "remember", "done")],
      },
    });
    workflowId = wf.id;
    await services.publishing.publish({ id: wf.id });
    runIds.push((await services.runs.start({ workflow: wf.id, input: { path: "ok" } })).id);
    runIds.push((await services.runs.start({ workflow: wf.id, input: { path: "deny" } })).id);

    // Memory's index lives in the data directory, as under `keel start`.
    chroma = await startChroma({ path: join(dataDir, "chroma") });
    const worker = runKeel(["worker", "--id", `scan-${kind.name}`], {
      KEEL_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      KEEL_EGRESS_ALLOW: "127.0.0.1",
      KEEL_WORKER_IDLE_MS: "50",
      CHROMA_URL: chroma.url,
      KEEL_EMBEDDER: "local",
    });
    await worker.waitFor(/running/);
    for (let i = 0; i < 600; i++) {
      const open = await database.db.run.count({ where: { id: { in: runIds }, status: { in: ["queued", "running", "sleeping"] } } });
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    worker.child.kill("SIGTERM");
    await worker.exited;
    logs = worker.output();
    const exported = runKeel(["export", workflowId], { KEEL_DATA_DIR: dataDir, DATABASE_URL: databaseUrl });
    await exported.exited;
    logs += `\n--- export ---\n${exported.output()}`;
  }, 180_000);

  afterAll(async () => {
    await chroma?.stop();
    await sink.close();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the worker really used both secrets, failed once with a 500 and dead-lettered the 400", async () => {
    const [ok, deny] = await Promise.all(runIds.map((id) => database.db.run.findUniqueOrThrow({ where: { id } })));
    expect(ok!.status).toBe("succeeded");
    expect(deny!.status).toBe("dead");
    expect(sink.calls.filter((c) => c.path === "/ok" && c.status === 500).length).toBeGreaterThanOrEqual(1);
    expect(sink.calls.some((c) => c.headers.authorization === `Bearer ${token}`)).toBe(true);
    expect(sink.calls.some((c) => c.headers.authorization === `Basic ${Buffer.from(`keel:${password}`).toString("base64")}`)).toBe(true);
    expect(JSON.stringify(ok!.output)).toContain("[redacted:scan-token]");
    expect(JSON.stringify(ok!.output)).toContain("[redacted:scan-login]");
    expect(JSON.stringify(deny!.error)).toContain("[redacted:scan-token]");
    // The memory item made from the echo was stored and indexed in Chroma.
    const item = await database.db.memoryItem.findFirstOrThrow({ where: { runId: ok!.id } });
    expect(item.text).toContain("[redacted:scan-token]");
    expect(item.indexedAt).not.toBeNull();
  });

  it("appears in no API answer: credentials, runs, events, dead letters, settings", async () => {
    const caller = createCaller(operatorContext(services));
    const answers = {
      credentials: await caller.credential.list(),
      runs: await Promise.all(runIds.map((id) => caller.run.get({ id }))),
      events: await Promise.all(runIds.map((id) => caller.run.events({ id }))),
      deadLetters: await caller.deadLetter.list(),
      retention: await caller.settings.retention(),
      egress: await caller.settings.egressAllowlist(),
      audit: await caller.audit.list({ limit: 100 }),
    };
    expect(answers.deadLetters.length).toBeGreaterThan(0);
    for (const [name, answer] of Object.entries(answers)) assertClean(`tRPC ${name}`, JSON.stringify(answer));
  });

  it("appears in no log line and not in `keel export`", () => {
    expect(logs).toContain('"slug"');
    assertClean("process output", logs);
  });

  it("appears in no stored row", async () => {
    const db = database.db;
    const where = { runId: { in: runIds } };
    const rows = [
      await db.run.findMany({ where: { id: { in: runIds } } }),
      await db.runEvent.findMany({ where }),
      await db.effect.findMany({ where }),
      await db.checkpoint.findMany({ where }),
      await db.deadLetter.findMany({ where }),
      await db.memoryItem.findMany({ where }),
      await db.auditLog.findMany(),
    ];
    assertClean("the database", JSON.stringify(rows));
  });

  it("appears in no byte of any file under the data directory", async () => {
    // Flush nothing on purpose: the WAL and shared-memory files are scanned as they are.
    const files = walk(dataDir);
    expect(files.some((f) => f.endsWith("keel.key"))).toBe(true);
    if (kind.name === "sqlite") expect(files.filter((f) => /keel\.db(-wal|-shm)?$/.test(f))).toHaveLength(3);
    expect(files.some((f) => f.includes(`${join(dataDir, "chroma")}/`))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const form of forms) expect(bytes.includes(Buffer.from(form, "utf8")), `${file} contains the secret as ${form}`).toBe(false);
    }
  });
});
