import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, TooLargeError, UnauthenticatedError, ValidationError } from "../../engine/errors";
import { loadConfig } from "../../server/config";
import { servicesFor, type Services } from "../../server/services";
import { Worker } from "../../engine/runtime/worker";
import { runtimeDeps } from "../../server/runtime";
import { signWebhook, SIGNATURE_TOLERANCE_MS } from "../../server/services/webhooks";
import { databaseKinds, migratedDatabase } from "../support/databases";

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("expected the webhook to be refused");
    },
    (error: Error) => error,
  );
}

describe.each(databaseKinds())("webhook authentication on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  const clock = new Date("2026-11-30T12:00:00Z");
  let workflowId: string;
  let secret: string;
  let token: string;
  const unix = () => Math.floor(clock.getTime() / 1000);

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-wh-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database, { now: () => clock });
    workflowId = (await services.workflows.create({ name: "Inbound" })).id;
    secret = (await services.webhooks.rotateSigningSecret(workflowId)).secret;
    token = (await services.auth.createApiToken({ name: "sender" })).token;
  });
  afterAll(async () => {
    await env.dispose();
  });

  function signed(body: string, timestamp = unix(), key = secret) {
    return new Headers({
      "content-type": "application/json",
      "x-keel-timestamp": String(timestamp),
      "x-keel-signature": signWebhook(key, timestamp, body),
    });
  }
  const receive = (headers: Headers, body: string, workflow = workflowId) =>
    services.webhooks.receive({ workflow, headers, body: Buffer.from(body) });

  it("accepts a valid API token and stores the delivery", async () => {
    const accepted = await receive(new Headers({ authorization: `Bearer ${token}`, "content-type": "application/json" }), '{"order":42}');
    const delivery = await env.database.db.webhookDelivery.findUniqueOrThrow({ where: { id: accepted.deliveryId } });
    expect(delivery.body).toEqual({ order: 42 });
    expect(delivery.authenticatedBy).toMatch(/^token:/);
    expect(delivery.workflowId).toBe(workflowId);
  });

  it("accepts a valid signature, also by slug", async () => {
    const body = '{"event":"paid"}';
    const accepted = await receive(signed(body), body, "inbound");
    const delivery = await env.database.db.webhookDelivery.findUniqueOrThrow({ where: { id: accepted.deliveryId } });
    expect(delivery.authenticatedBy).toBe("signature");
    expect(delivery.body).toEqual({ event: "paid" });
  });

  it("refuses a request with neither token nor signature", async () => {
    const error = await rejection(receive(new Headers({ "content-type": "application/json" }), "{}"));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error.message).toMatch(/need an API token .* or a signature/);
  });

  it("refuses a wrong or revoked token", async () => {
    expect(await rejection(receive(new Headers({ authorization: "Bearer keel_wrong" }), "{}"))).toBeInstanceOf(UnauthenticatedError);
    const revoked = await services.auth.createApiToken({ name: "old" });
    await services.auth.revokeApiToken(revoked.id);
    const error = await rejection(receive(new Headers({ authorization: `Bearer ${revoked.token}` }), "{}"));
    expect(error.message).toBe("The API token is not valid (unknown or revoked).");
  });

  it("refuses a signature made with another secret, or over another body", async () => {
    const body = '{"amount":100}';
    expect((await rejection(receive(signed(body, unix(), "whsec_not_it"), body))).message).toBe("The webhook signature does not match.");
    expect((await rejection(receive(signed(body), '{"amount":1000}'))).message).toBe("The webhook signature does not match.");
  });

  it("refuses a stale signature, and one from too far in the future", async () => {
    const body = '{"late":true}';
    const old = unix() - SIGNATURE_TOLERANCE_MS / 1000 - 1;
    expect((await rejection(receive(signed(body, old), body))).message).toMatch(/stale/);
    const future = unix() + SIGNATURE_TOLERANCE_MS / 1000 + 1;
    expect((await rejection(receive(signed(body, future), body))).message).toMatch(/stale/);
  });

  it("refuses a replayed signature", async () => {
    const body = '{"once":true}';
    const headers = signed(body);
    await receive(headers, body);
    const error = await rejection(receive(headers, body));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error.message).toMatch(/already received \(replay refused\)/);
  });

  it("refuses a timestamp that is not Unix seconds", async () => {
    const headers = signed("{}");
    headers.set("x-keel-timestamp", "yesterday");
    expect((await rejection(receive(headers, "{}"))).message).toMatch(/x-keel-timestamp: must be the signing time in Unix seconds/);
  });

  it("stops verifying signatures made with a rotated-out secret", async () => {
    const old = secret;
    secret = (await services.webhooks.rotateSigningSecret(workflowId)).secret;
    const body = '{"after":"rotation"}';
    expect(await rejection(receive(signed(body, unix(), old), body))).toBeInstanceOf(UnauthenticatedError);
    await expect(receive(signed(body), body)).resolves.toHaveProperty("deliveryId");
  });

  it("never stores the signing secret in the clear", async () => {
    const rows = await env.database.db.credential.findMany();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it("keeps one delivery per Idempotency-Key", async () => {
    const headers = new Headers({ authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": "order-7" });
    const first = await receive(headers, '{"n":1}');
    const second = await receive(headers, '{"n":1}');
    expect(second).toEqual({ deliveryId: first.deliveryId, duplicate: true });
    expect(await env.database.db.webhookDelivery.count({ where: { idempotencyKey: "order-7" } })).toBe(1);
  });

  it("answers not found for an unknown workflow only to an authenticated sender", async () => {
    expect(await rejection(receive(new Headers({ authorization: `Bearer ${token}` }), "{}", "nope"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(receive(signed("{}"), "{}", "nope"))).toBeInstanceOf(UnauthenticatedError);
  });

  it("names the field for bad JSON and for a body over the run-input limit", async () => {
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const bad = await rejection(receive(new Headers(auth), "{nope"));
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.message).toBe("body: is not valid JSON");
    const big = await rejection(receive(new Headers(auth), JSON.stringify({ text: "x".repeat(300 * 1024) })));
    expect(big).toBeInstanceOf(TooLargeError);
    expect(big.message).toMatch(/^body: is 300 KB; the limit is 256 KB$/);
  });

  it("starts one run per delivery at the Webhook trigger, and answers with the result when asked", async () => {
    const graph = (respond: string) => ({
      schemaVersion: 1,
      nodes: [
        { id: "hook", type: "trigger.webhook", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { respond, timeoutSeconds: 5 } },
        { id: "done", type: "flow.end", typeVersion: 1, label: "", position: { x: 1, y: 0 }, config: { output: { echoed: "{{ input.order }}" } } },
      ],
      edges: [{ id: "e1", source: "hook", sourcePort: "out", target: "done", targetPort: "in" }],
    });
    const later = await services.workflows.create({ name: "Hook later", graph: graph("accepted") });
    await services.publishing.publish({ id: later.id });
    const headers = () => new Headers({ authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": "order-9" });
    const first = await services.webhooks.deliver({ workflow: later.id, headers: headers(), body: Buffer.from('{"order":9}') });
    const again = await services.webhooks.deliver({ workflow: later.id, headers: headers(), body: Buffer.from('{"order":9}') });
    expect(first).toMatchObject({ status: 202, body: { status: "queued", duplicate: false } });
    expect(again.body.runId).toBe(first.body.runId);
    const run = await env.database.db.run.findUniqueOrThrow({ where: { id: first.body.runId } });
    expect([run.trigger, run.triggerNodeId, run.input]).toEqual(["webhook", "hook", { order: 9 }]);

    // The web process works a run its caller waits on itself: no worker runs here.
    const now = await services.workflows.create({ name: "Hook now", graph: graph("result") });
    await services.publishing.publish({ id: now.id });
    const answer = await services.webhooks.deliver({ workflow: now.id, headers: new Headers({ authorization: `Bearer ${token}`, "content-type": "application/json" }), body: Buffer.from('{"order":5}') });
    expect(answer).toMatchObject({ status: 200, body: { status: "succeeded", output: { echoed: 5 } } });
    const events = await env.database.db.runEvent.findMany({ where: { runId: answer.body.runId }, orderBy: { seq: "asc" }, select: { type: true } });
    expect(events.map((ev) => ev.type)).toEqual(["run.started", "node.entered", "node.completed", "node.entered", "run.succeeded"]);
  });

  it("stores the delivery and starts its run in one transaction: when the delivery cannot be stored, no run starts", async () => {
    const graph = {
      schemaVersion: 1,
      nodes: [
        { id: "hook", type: "trigger.webhook", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { respond: "accepted" } },
        { id: "done", type: "flow.end", typeVersion: 1, label: "", position: { x: 1, y: 0 }, config: {} },
      ],
      edges: [{ id: "e1", source: "hook", sourcePort: "out", target: "done", targetPort: "in" }],
    };
    const wf = await services.workflows.create({ name: "Hook atomic", graph });
    await services.publishing.publish({ id: wf.id });
    const request = (key: string) => ({ workflow: wf.id, headers: new Headers({ authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key }), body: Buffer.from('{"n":1}') });
    const first = await services.webhooks.deliver(request("atomic-1"));
    expect((await env.database.db.webhookDelivery.findUniqueOrThrow({ where: { id: first.body.deliveryId } })).runId).toBe(first.body.runId);
    // A delivery row that cannot be written (its id is taken) takes the run's insert down with it.
    const colliding = { id: first.body.deliveryId, existing: false, authenticatedBy: "signature", idempotencyKey: "atomic-2", body: { n: 2 }, contentType: "application/json" };
    await expect(services.runs.start({ workflow: wf.id, input: { n: 2 }, idempotencyKey: "webhook:atomic-2" }, "webhook", "webhook", "hook", { delivery: colliding })).rejects.toThrow();
    expect(await env.database.db.run.count({ where: { workflowId: wf.id } })).toBe(1);
    expect(await env.database.db.webhookDelivery.count({ where: { workflowId: wf.id } })).toBe(1);
    // The sender's retry with that key is then a first delivery, with its run.
    const retried = await services.webhooks.deliver(request("atomic-2"));
    expect(retried).toMatchObject({ status: 202, body: { duplicate: false, status: "queued" } });
    expect((await env.database.db.webhookDelivery.findUniqueOrThrow({ where: { id: retried.body.deliveryId } })).runId).toBe(retried.body.runId);
  });

  it("answers 202 with the run id when a synchronous run outlasts its timeout, and a worker finishes it", async () => {
    const slow = await services.workflows.create({
      name: "Hook slow",
      graph: {
        schemaVersion: 1,
        nodes: [
          { id: "hook", type: "trigger.webhook", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { respond: "result", timeoutSeconds: 1 } },
          { id: "wait", type: "flow.delay", typeVersion: 1, label: "", position: { x: 1, y: 0 }, config: { duration: "PT2S" } },
          { id: "done", type: "flow.end", typeVersion: 1, label: "", position: { x: 2, y: 0 }, config: {} },
        ],
        edges: [
          { id: "e1", source: "hook", sourcePort: "out", target: "wait", targetPort: "in" },
          { id: "e2", source: "wait", sourcePort: "out", target: "done", targetPort: "in" },
        ],
      },
    });
    await services.publishing.publish({ id: slow.id });
    const answer = await services.webhooks.deliver({ workflow: slow.id, headers: new Headers({ authorization: `Bearer ${token}`, "content-type": "application/json" }), body: Buffer.from("{}") });
    expect(answer).toMatchObject({ status: 202, body: { status: "sleeping" } });
    // A worker whose clock is past the delay finishes it.
    const worker = new Worker(runtimeDeps(env.database, { now: () => new Date(clock.getTime() + 60_000) }), { id: `hook-${kind.name}`, idleMs: 20 });
    worker.start();
    try {
      for (let i = 0; i < 100 && (await services.runs.get(answer.body.runId)).status !== "succeeded"; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await services.runs.get(answer.body.runId)).status).toBe("succeeded");
    } finally {
      await worker.stop();
    }
  });
});
