import { json, type Db } from "../../engine/store";

// Test data shaped like a small business's: workflows with runs (events, checkpoints, effects,
// timers, approvals, dead letters), credentials, memory, contacts, money, and operator access.

export interface RunFixture {
  finishedAt: Date | null;
  status?: "queued" | "running" | "waiting" | "succeeded" | "failed" | "dead" | "cancelled";
  createdAt?: Date;
  input?: unknown;
  output?: unknown;
  error?: unknown;
  /** Events, each with a payload unless null is given; default three with payloads plus one without. */
  eventPayloads?: (unknown | null)[];
  checkpoints?: number;
  effects?: number;
  openDeadLetter?: boolean;
}

export async function insertWorkflow(db: Db, slug = "onboarding"): Promise<{ workflowId: string; versionId: string }> {
  const graph = { nodes: [{ id: "start", type: "trigger.manual", typeVersion: 1, config: {} }], edges: [] };
  const workflow = await db.workflow.create({ data: { slug, name: `Workflow ${slug}`, draftGraph: json(graph) } });
  const version = await db.workflowVersion.create({
    data: { workflowId: workflow.id, number: 1, graph: json(graph), machine: json({ id: slug, states: {} }), hash: `hash-${slug}` },
  });
  await db.workflow.update({ where: { id: workflow.id }, data: { currentVersionId: version.id } });
  return { workflowId: workflow.id, versionId: version.id };
}

/** A run with events, checkpoints and effects; returns its id. */
export async function insertRun(db: Db, ids: { workflowId: string; versionId: string }, fixture: RunFixture): Promise<string> {
  const createdAt = fixture.createdAt ?? (fixture.finishedAt ? new Date(fixture.finishedAt.getTime() - 60_000) : new Date());
  const run = await db.run.create({
    data: {
      workflowId: ids.workflowId,
      versionId: ids.versionId,
      status: fixture.status ?? (fixture.finishedAt ? "succeeded" : "running"),
      input: json(fixture.input ?? { customer: { email: "ada@example.com", name: "Ada" } }),
      ...(fixture.output === null ? {} : { output: json(fixture.output ?? { welcomed: true, emailId: "m-1" }) }),
      ...(fixture.error === undefined || fixture.error === null ? {} : { error: json(fixture.error) }),
      costTokens: 120,
      costUnits: 0.1 + 0.2,
      createdAt,
      startedAt: createdAt,
      finishedAt: fixture.finishedAt,
    },
  });
  const payloads = fixture.eventPayloads ?? [{ input: "started" }, null, { node: "send", to: "ada@example.com" }, { done: true }];
  for (const [index, payload] of payloads.entries()) {
    await db.runEvent.create({
      data: {
        runId: run.id,
        seq: index + 1,
        type: index === 0 ? "run.started" : `step.${index}`,
        nodeId: index === 0 ? null : `node-${index}`,
        ...(payload === null ? {} : { payload: json(payload) }),
        createdAt: new Date(createdAt.getTime() + index * 1000),
      },
    });
  }
  for (let seq = 1; seq <= (fixture.checkpoints ?? 3); seq++) {
    await db.checkpoint.create({
      data: { runId: run.id, seq, snapshot: json({ value: `state-${seq}`, context: { visits: { send: seq } } }), machineHash: "hash" },
    });
  }
  for (let visit = 1; visit <= (fixture.effects ?? 2); visit++) {
    await db.effect.create({
      data: {
        key: `${run.id}:send:${visit}`,
        runId: run.id,
        nodeId: "send",
        visit,
        nodeType: "email.send",
        status: visit === 1 ? "failed" : "completed",
        request: json({ to: "ada@example.com", subject: "Welcome", authorization: "[redacted]" }),
        ...(visit === 1 ? { error: json({ message: "SMTP 451", retryable: true }) } : { result: json({ messageId: `<m-${visit}@keel>` }) }),
        attempts: visit,
        costTokens: 7,
        costUnits: 0.25,
        completedAt: new Date(createdAt.getTime() + 5000),
      },
    });
  }
  if (fixture.openDeadLetter) {
    await db.deadLetter.create({ data: { runId: run.id, nodeId: "send", packet: json({ lastError: "SMTP 550", input: { to: "ada@example.com" } }) } });
  }
  return run.id;
}

/** At least one row in every table the data model has, with awkward values (floats, unicode, nulls). */
export async function insertBusinessData(db: Db): Promise<void> {
  const ids = await insertWorkflow(db, "billing");
  const done = await insertRun(db, ids, { finishedAt: new Date("2026-01-02T03:04:05.678Z") });
  await insertRun(db, ids, { finishedAt: null, status: "waiting", error: null, output: null });
  await db.timer.create({ data: { key: `${done}:delay:1`, kind: "delay", runId: done, nodeId: "wait", payload: json({ ms: 1000 }), fireAt: new Date("2026-01-03T00:00:00Z") } });
  await db.approval.create({ data: { runId: done, nodeId: "approve", visit: 1, packet: json({ proposal: "send quote", amountMinor: 125_000 }), status: "approved", decidedBy: "operator", decidedAt: new Date() } });
  await db.deadLetter.create({ data: { runId: done, nodeId: "send", status: "retried", packet: json({ lastError: "timeout" }) } });
  await db.credential.create({ data: { name: "smtp", kind: "smtp", ciphertext: "q83vEjRWeJA=", iv: "AAECAwQFBgcICQoL", authTag: "3q2+7w==", keyId: "k1" } });
  const subject = await db.memorySubject.create({ data: { kind: "customer", key: "ada@example.com", name: "Ada Lovelace — Analytical Engines Ltd" } });
  await db.memoryItem.create({ data: { subjectId: subject.id, kind: "note", text: "Prefers email; invoice in €.", metadata: json({ source: "call" }), runId: done } });
  await db.memorySummary.create({ data: { subjectId: subject.id, text: "Long-time customer.", method: "extractive", itemCount: 1 } });
  const contact = await db.contact.create({ data: { email: "ada@example.com", name: "Ada", company: "AE Ltd", data: json({ vip: true }) } });
  await db.deal.create({ data: { contactId: contact.id, title: "Engine #2", stage: "won", amountMinor: 1_250_00, currency: "EUR" } });
  const invoice = await db.invoice.create({ data: { number: "INV-0001", contactId: contact.id, status: "sent", currency: "EUR", totalMinor: 1_250_00, issuedAt: new Date() } });
  await db.invoiceLine.create({ data: { invoiceId: invoice.id, position: 1, description: "Engine", quantity: 1, unitMinor: 1_250_00, amountMinor: 1_250_00 } });
  await db.notification.create({ data: { kind: "approval", title: "Quote approved", runId: done } });
  await db.setting.create({ data: { key: "test.flag", value: json({ enabled: true, ratio: 0.3 }) } });
  await db.auditLog.create({ data: { actor: "operator", action: "workflow.save_draft", targetType: "workflow", targetId: ids.workflowId } });
  await db.operator.create({ data: { passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" } });
  await db.session.create({ data: { tokenHash: "session-hash", expiresAt: new Date("2027-01-01T00:00:00Z"), userAgent: "test" } });
  await db.apiToken.create({ data: { name: "zapier", prefix: "keel_ab", tokenHash: "token-hash" } });
  await db.loginAttempt.create({ data: { ip: "127.0.0.1", succeeded: false } });
  await db.webhookDelivery.create({ data: { workflowId: ids.workflowId, authenticatedBy: "signature", body: json({ event: "paid" }), contentType: "application/json", runId: done } });
  await db.webhookReplayGuard.create({ data: { signatureHash: "sig-hash", expiresAt: new Date("2027-01-01T00:00:00Z") } });
}

/** Tables insertBusinessData fills (besides those seeding and migrations fill). */
export const FILLED_TABLES = [
  "Workflow", "WorkflowVersion", "Run", "RunEvent", "Checkpoint", "Effect", "Timer", "Approval", "DeadLetter",
  "Credential", "MemorySubject", "MemoryItem", "MemorySummary", "Contact", "Deal", "Invoice", "InvoiceLine",
  "Notification", "Setting", "AuditLog", "Operator", "Session", "ApiToken", "LoginAttempt", "WebhookDelivery",
  "WebhookReplayGuard", "_prisma_migrations",
];
