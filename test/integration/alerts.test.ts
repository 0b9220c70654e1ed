import { createHmac } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { json, type Db } from "../../engine/store";
import { alertsFor } from "../../server/services";
import { operatorApi, rejection, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { startSink } from "../support/http-sink";
import { startSmtpSink } from "../support/smtp-sink";

const T0 = new Date("2026-11-30T12:00:00.000Z");
const MIN = 60_000;
const SECRET = "alerts signing secret, 32 chars!";
const PASSWORD = "smtp password for alerts";

async function queuedRun(db: Db, createdAt: Date) {
  const graph = { nodes: [], edges: [] };
  const slug = `wf-${createdAt.getTime()}-${Math.random().toString(36).slice(2, 8)}`;
  const wf = await db.workflow.create({ data: { slug, name: slug, draftGraph: json(graph) } });
  const version = await db.workflowVersion.create({ data: { workflowId: wf.id, number: 1, graph: json(graph), machine: json({}), hash: slug } });
  return (await db.run.create({ data: { workflowId: wf.id, versionId: version.id, input: json({}), status: "queued", createdAt } })).id;
}

describe.each(databaseKinds())("alerts on $name", (kind) => {
  let api: OperatorApi;
  let db: Db;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let hook: Awaited<ReturnType<typeof startSink>>;
  let clock: Date;
  let alerts: ReturnType<typeof alertsFor>;

  beforeEach(async () => {
    api = await operatorApi(kind);
    db = api.env.database.db;
    await allowLoopback(db);
    smtp = await startSmtpSink({ user: "keel", password: PASSWORD });
    hook = await startSink();
    const { services } = api;
    await services.credentials.create({ name: "mail", kind: "smtp", secret: { host: "127.0.0.1", port: smtp.port, secure: false, user: "keel", password: PASSWORD, from: "Keel <keel@example.test>" } });
    await services.credentials.create({ name: "alert-signing", kind: "signing", secret: { secret: SECRET } });
    await services.notifications.saveSettings({ operatorEmail: "owner@example.test", smtpCredential: "mail" });
    clock = T0;
    alerts = alertsFor(services.config, api.env.database, services.credentials, { now: () => clock });
  });
  afterEach(async () => {
    await Promise.all([smtp.close(), hook.close()]);
    await api.env.dispose();
  });

  it("fires and resolves with a notification, an email and a signed webhook, at most once per cooldown", async () => {
    const rule = await api.caller.alert.create({
      name: "Backlog stuck",
      metric: "backlog_age",
      threshold: 300,
      cooldownMinutes: 10,
      email: "ops@example.test",
      webhookUrl: `${hook.url}/keel-alerts`,
      webhookSecret: "alert-signing",
    });
    expect(await alerts.tick()).toEqual([]);

    const stuck = await queuedRun(db, new Date(T0.getTime() - 10 * MIN));
    const fired = await alerts.tick();
    expect(fired).toEqual([{ ruleId: rule.id, state: "firing", value: 600, delivered: { notification: true, email: "sent", webhook: 200 } }]);

    const notifications = await db.notification.findMany({ where: { kind: { in: ["alert", "alert_resolved"] } }, orderBy: { createdAt: "asc" } });
    expect(notifications.map((n) => [n.kind, n.title])).toEqual([["alert", "Alert: Backlog stuck"]]);
    expect(notifications[0]!.body).toBe("The age of the oldest queued run is 600 s, above the threshold of 300 s.");

    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.to).toEqual(["ops@example.test"]);
    expect(smtp.received[0]!.raw).toContain("Subject: Alert: Backlog stuck");

    expect(hook.calls).toHaveLength(1);
    const call = hook.calls[0]!;
    expect(call.path).toBe("/keel-alerts");
    const body = JSON.parse(call.body);
    expect(body).toMatchObject({ event: "alert.firing", rule: { id: rule.id, name: "Backlog stuck", metric: "backlog_age", threshold: 300 }, value: 600, at: T0.toISOString() });
    // The receiver checks the signature with the shared secret.
    const [, t, v1] = String(call.headers["keel-signature"]).match(/^t=(\d+),v1=([0-9a-f]{64})$/)!;
    expect(Number(t)).toBe(T0.getTime() / 1000);
    expect(v1).toBe(createHmac("sha256", SECRET).update(`${t}.${call.body}`).digest("hex"));
    expect(call.headers["idempotency-key"]).toBe(body.id);

    // Still firing: nothing new.
    clock = new Date(T0.getTime() + MIN);
    expect(await alerts.tick()).toEqual([]);

    // Back under the threshold two minutes in: within the cooldown, the resolution waits…
    await db.run.update({ where: { id: stuck }, data: { status: "succeeded" } });
    clock = new Date(T0.getTime() + 2 * MIN);
    expect(await alerts.tick()).toEqual([]);
    expect((await api.caller.alert.list())[0]).toMatchObject({ state: "firing", lastValue: 0 });
    // …and is announced once the cooldown is over.
    clock = new Date(T0.getTime() + 10 * MIN);
    const resolved = await alerts.tick();
    expect(resolved.map((c) => [c.state, c.value])).toEqual([["ok", 0]]);
    expect(smtp.received.map((m) => m.raw.match(/^Subject: (.*)$/m)?.[1])).toEqual(["Alert: Backlog stuck", "Resolved: Backlog stuck"]);
    expect(hook.calls.map((c) => JSON.parse(c.body).event)).toEqual(["alert.firing", "alert.resolved"]);

    // A flap within the cooldown sends nothing; two workers ticking at once announce a change once.
    await queuedRun(db, new Date(T0.getTime() - MIN));
    clock = new Date(T0.getTime() + 15 * MIN);
    expect(await alerts.tick()).toEqual([]);
    clock = new Date(T0.getTime() + 20 * MIN);
    const other = alertsFor(api.services.config, api.env.database, api.services.credentials, { now: () => clock });
    const both = (await Promise.all([alerts.tick(), other.tick()])).flat();
    expect(both.map((c) => c.state)).toEqual(["firing"]);
    expect(await db.notification.count({ where: { kind: "alert" } })).toBe(2);
    expect(hook.calls).toHaveLength(3);
  });

  it("evaluates retry rate, dead-letter growth and daily cost", async () => {
    await api.caller.alert.create({ name: "Retries", metric: "retry_rate", threshold: 0.25 });
    await api.caller.alert.create({ name: "Dead letters", metric: "dead_letter_growth", threshold: 0 });
    await api.caller.alert.create({ name: "Spend", metric: "daily_cost", threshold: 2 });
    const runId = await queuedRun(db, new Date(T0.getTime() - 30 * MIN));
    for (const [i, attempts, cost] of [[1, 3, 1.5], [2, 1, 1]] as const) {
      await db.effect.create({ data: { key: `${runId}:n${i}:1`, runId, nodeId: `n${i}`, visit: 1, nodeType: "llm.chat@1", status: "completed", attempts, costUnits: cost, startedAt: new Date(T0.getTime() - 20 * MIN), completedAt: new Date(T0.getTime() - 19 * MIN) } });
    }
    await db.deadLetter.create({ data: { runId, nodeId: "n3", packet: json({}), createdAt: new Date(T0.getTime() - 5 * MIN) } });
    const changes = await alerts.tick();
    // 4 attempts for 2 steps: half were retries; 1 dead letter in the hour; 2.5 units today.
    expect(changes.map((c) => c.value).sort()).toEqual([0.5, 1, 2.5]);
    expect(changes.every((c) => c.state === "firing" && c.delivered.email === undefined && c.delivered.webhook === undefined)).toBe(true);
  });

  it("refuses bad rules, naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ name: "x", metric: "latency", threshold: 1 }, "metric"],
      [{ name: "x", metric: "retry_rate", threshold: 2 }, "threshold"],
      [{ name: "x", metric: "daily_cost", threshold: 1, webhookUrl: "ftp://example.test" }, "webhookUrl"],
      [{ name: "x", metric: "daily_cost", threshold: 1, email: "not-an-address" }, "email"],
      [{ name: "x", metric: "daily_cost", threshold: 1, webhookUrl: "https://example.test/h", webhookSecret: "mail" }, "webhookSecret"],
      [{ name: "", metric: "daily_cost", threshold: 1 }, "name"],
    ];
    for (const [input, field] of cases) {
      const error = await rejection(api.caller.alert.create(input as never));
      expect(error.code, field).toBe("BAD_REQUEST");
      expect(JSON.stringify([error.message, (error.cause as { issues?: unknown })?.issues ?? null]), field).toContain(field);
    }
    expect(await api.caller.alert.list()).toEqual([]);
  });
});
