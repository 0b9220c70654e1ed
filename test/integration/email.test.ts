import { readdirSync, readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { messageIdFor } from "../../infra/mail/smtp";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { ensureSecret } from "../../server/secret-key";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { startSmtpSink } from "../support/smtp-sink";
import { e, n } from "../support/graph-builders";

const PASSWORD = "smtp-secret-7f3a9c21-do-not-store";

describe.each(databaseKinds())("email on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let worker: Worker;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-email-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database);
    smtp = await startSmtpSink({ user: "keel", password: PASSWORD });
    await services.credentials.create({ name: "mail", kind: "smtp", secret: { host: "127.0.0.1", port: smtp.port, secure: false, user: "keel", password: PASSWORD, from: "Keel <ops@example.test>" } });
    worker = new Worker(runtimeDeps(env.database, { secret: ensureSecret(config.dataDir, config.secret).secret }), { id: `mail-${kind.name}` });
  });
  afterAll(async () => {
    await smtp.close();
    await env.dispose();
  });

  async function send(config: Record<string, unknown>, input: unknown = {}) {
    const graph: Graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("mail", "email.send", config), n("done", "flow.end")], edges: [e("e1", "start", "mail"), e("e2", "mail", "done")] };
    const wf = await services.workflows.create({ name: `Mail ${Math.random()}`, graph });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input });
    await worker.drain();
    return run.id;
  }

  it("sends over SMTP with the credential, the Message-ID derived from the step's key", async () => {
    const runId = await send({ to: "{{ input.email }}", subject: "Welcome, {{ input.name }}", text: "Glad to have you.", credential: "mail" }, { email: "ada@example.test", name: "Ada" });
    expect((await services.runs.get(runId)).status).toBe("succeeded");
    const mail = smtp.received.find((m) => m.raw.includes("Welcome, Ada"))!;
    expect(mail.to).toEqual(["ada@example.test"]);
    expect(mail.user).toBe("keel");
    expect(mail.raw).toContain(`Message-ID: ${messageIdFor(`${runId}:mail:1`)}`);
    const stored = await env.database.db.emailMessage.findUniqueOrThrow({ where: { messageId: messageIdFor(`${runId}:mail:1`) } });
    expect([stored.status, stored.from, stored.credential]).toEqual(["sent", "Keel <ops@example.test>", "mail"]);
  });

  it("keeps email in the outbox, marked not sent, when no credential is given", async () => {
    const before = smtp.received.length;
    const runId = await send({ to: "grace@example.test", subject: "Draft", text: "Hello" });
    expect((await services.runs.get(runId)).status).toBe("succeeded");
    expect(smtp.received.length).toBe(before);
    const stored = await env.database.db.emailMessage.findFirstOrThrow({ where: { runId } });
    expect([stored.status, stored.to, stored.subject]).toEqual(["not_sent", "grace@example.test", "Draft"]);
  });

  it("a recipient the server refuses (5xx) is a permanent failure: dead letter, not retries", async () => {
    const runId = await send({ to: "reject-me@example.test", subject: "No", text: "x", credential: "mail" });
    expect((await services.runs.get(runId)).status).toBe("dead");
    const letter = await env.database.db.deadLetter.findFirstOrThrow({ where: { runId } });
    expect(JSON.stringify(letter.packet)).toContain("No such user here");
  });

  it("never returns, stores or logs the SMTP password in the clear", async () => {
    expect(JSON.stringify(await services.credentials.list())).not.toContain(PASSWORD);
    const events = await env.database.db.runEvent.findMany({});
    const effects = await env.database.db.effect.findMany({});
    const letters = await env.database.db.deadLetter.findMany({});
    expect(JSON.stringify([events, effects, letters])).not.toContain(PASSWORD);
    if (env.scratch.target.provider === "sqlite") {
      await env.database.db.$queryRawUnsafe("PRAGMA wal_checkpoint(PASSIVE)");
      const dir = dirname(env.scratch.target.file);
      for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(PASSWORD), file).toBe(false);
    }
  });
});
