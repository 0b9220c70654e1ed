import { createHash, createHmac, randomBytes } from "node:crypto";
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from "../../engine/errors";
import { webhookTrigger } from "../../nodes/triggers/webhook";
import { assertJsonWithin } from "../../engine/json-bytes";
import { LIMITS } from "../../engine/limits";
import { isFinished } from "../../engine/runtime/run-status";
import { isUniqueViolation, json, orderedId, parsedJson, readRows, workflowRef, type Database, type Db } from "../../engine/store";
import type { AuthService } from "../auth/service";
import { safeEqual } from "../auth/tokens";
import type { Cipher } from "../secrets/cipher";
import { audit } from "./audit";
import type { NewRun } from "../../engine/runtime/store";
import type { RunService } from "./runs";

// Inbound webhooks are never anonymous: each request carries an API token
// (Authorization: Bearer keel_…) or an HMAC-SHA256 signature made with the workflow's signing
// secret over "<timestamp>.<body>" (X-Keel-Timestamp, X-Keel-Signature: sha256=<hex>).
// Signatures older or newer than the tolerance are stale; one already seen is a replay.
// Accepted deliveries are stored before the answer, so nothing acknowledged is ever lost.

export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;
export const SIGNATURE_HEADER = "x-keel-signature";
export const TIMESTAMP_HEADER = "x-keel-timestamp";

const signingCredential = (workflowId: string) => `webhook-signing:${workflowId}`;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export interface WebhookRequest {
  workflow: string;
  headers: Headers;
  body: Uint8Array;
}

export interface WebhookAccepted {
  deliveryId: string;
  duplicate: boolean;
}

interface WebhookTriggerNode {
  id: string;
  type: string;
  config?: { respond?: string; timeoutSeconds?: number };
}

export interface WebhookAnswer {
  status: 200 | 202;
  body: { deliveryId: string; runId: string; status: string; duplicate: boolean; output?: unknown };
}


export function webhookService(
  db: Db,
  deps: {
    auth: AuthService;
    cipher: Cipher;
    runs: RunService;
    /** The bare driver, for the reads every delivery makes (its workflow, its run's result). */
    database?: Database;
    now?: () => Date;
    /**
     * Works a run in this process until it settles or the time is up (synchronous webhooks);
     * `claim` makes its runs created already claimed by this process, so no other worker takes them.
     */
    inline?: { claim(): NonNullable<NewRun["claimedBy"]>; runNow(runId: string, timeoutMs: number, claimed: boolean): Promise<unknown> };
  },
) {
  const now = deps.now ?? (() => new Date());

  const { database } = deps;
  async function findWorkflow(ref: string): Promise<{ id: string; name: string; currentVersionId: string | null } | null> {
    if (!database) return db.workflow.findFirst({ where: workflowRef(ref), select: { id: true, name: true, currentVersionId: true } });
    const [row] = await readRows<{ id: string; name: string; currentVersionId: string | null }>(
      database,
      `SELECT "id", "name", "currentVersionId" FROM "Workflow" WHERE ("id" = ? OR "slug" = ?) AND "archivedAt" IS NULL LIMIT 1`,
      [ref, ref],
    );
    return row ?? null;
  }

  /** Where a run stands, and its output once finished: what a caller waiting on it is answered. */
  async function runResult(id: string): Promise<{ status: string; output: unknown }> {
    if (!database) return deps.runs.get(id);
    const [row] = await readRows<{ status: string; output: unknown }>(database, `SELECT "status", "output" FROM "Run" WHERE "id" = ?`, [id]);
    if (!row) throw new NotFoundError(`no run '${id}'`);
    return { status: row.status, output: parsedJson(database, row.output) ?? null };
  }

  const authenticate = requestAuthenticator(db, deps);

  /** The trigger a published version starts webhook runs at; versions never change, so cached. */
  const triggers = new Map<string, WebhookTriggerNode | undefined>();
  async function triggerOf(versionId: string): Promise<WebhookTriggerNode | undefined> {
    if (triggers.has(versionId)) return triggers.get(versionId);
    const version = await db.workflowVersion.findUnique({ where: { id: versionId }, select: { graph: true } });
    const nodes = ((version?.graph as { nodes?: WebhookTriggerNode[] } | undefined)?.nodes ?? [])
      .filter((n) => n.type === webhookTrigger.type)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    if (triggers.size >= 1_000) triggers.clear();
    triggers.set(versionId, nodes[0]);
    return nodes[0];
  }

  function findByKey(workflowId: string, idempotencyKey: string) {
    return db.webhookDelivery.findUnique({ where: { workflowId_idempotencyKey: { workflowId, idempotencyKey } }, select: { id: true, runId: true } });
  }

  /** Authenticates a request and reads its body as the run's input; stores nothing but the replay guard. */
  async function accept(request: WebhookRequest) {
    const bodyText = Buffer.from(request.body).toString("utf8");
    const workflow = await findWorkflow(request.workflow);
    const authenticatedBy = await authenticate(workflow ? { scope: workflow.id, credential: signingCredential(workflow.id) } : undefined, request.headers, bodyText);
    if (!workflow) throw new NotFoundError(`no workflow '${request.workflow}'`);

    const contentType = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() || "application/octet-stream";
    let body: unknown;
    if (contentType === "application/json" || contentType.endsWith("+json")) {
      try {
        body = bodyText === "" ? null : JSON.parse(bodyText);
      } catch {
        throw new ValidationError("body: is not valid JSON", [{ path: "body", message: "is not valid JSON" }]);
      }
    } else if (contentType === "application/x-www-form-urlencoded") {
      body = Object.fromEntries(new URLSearchParams(bodyText));
    } else {
      body = { text: bodyText };
    }
    assertJsonWithin("body", body, LIMITS.runInputBytes);
    const idempotencyKey = request.headers.get("idempotency-key")?.slice(0, 200) || null;
    return { workflow, authenticatedBy, contentType, body, idempotencyKey };
  }

  /** Stores a delivery without a run (none can start); a repeated Idempotency-Key finds the first. */
  async function storeAlone(parsed: Awaited<ReturnType<typeof accept>>): Promise<WebhookAccepted> {
    if (parsed.idempotencyKey) {
      const existing = await findByKey(parsed.workflow.id, parsed.idempotencyKey);
      if (existing) return { deliveryId: existing.id, duplicate: true };
    }
    try {
      const delivery = await db.webhookDelivery.create({ data: deliveryRow(parsed, null), select: { id: true } });
      return { deliveryId: delivery.id, duplicate: false };
    } catch (error) {
      // The same key, concurrently: the other request stored it.
      if (parsed.idempotencyKey && isUniqueViolation(error)) {
        return { deliveryId: (await findByKey(parsed.workflow.id, parsed.idempotencyKey))!.id, duplicate: true };
      }
      throw error;
    }
  }

  function deliveryRow(parsed: Awaited<ReturnType<typeof accept>>, runId: string | null) {
    return { workflowId: parsed.workflow.id, authenticatedBy: parsed.authenticatedBy, idempotencyKey: parsed.idempotencyKey, body: json(parsed.body), contentType: parsed.contentType, runId };
  }

  return {
    /** A new signing secret for the workflow's webhook; shown once, stored sealed. */
    async rotateSigningSecret(workflowId: string, actor = "operator"): Promise<{ secret: string }> {
      const workflow = await findWorkflow(workflowId);
      if (!workflow) throw new NotFoundError(`no workflow '${workflowId}'`);
      const secret = `whsec_${randomBytes(32).toString("base64url")}`;
      const sealed = deps.cipher.seal(secret);
      await db.credential.upsert({
        where: { name: signingCredential(workflow.id) },
        create: { name: signingCredential(workflow.id), kind: "webhook_signing", ...sealed },
        update: sealed,
      });
      await audit(db, { actor, action: "webhook.rotate_secret", targetType: "workflow", targetId: workflow.id });
      return { secret };
    },

    async receive(request: WebhookRequest): Promise<WebhookAccepted> {
      return storeAlone(await accept(request));
    },

    /**
     * Authenticates the request, then stores the delivery and starts a run at the published
     * version's Webhook trigger in one transaction (a repeated Idempotency-Key finds the same
     * delivery and run), and answers at once or, when the trigger asks for it, with the run's
     * result.
     */
    async deliver(request: WebhookRequest): Promise<WebhookAnswer> {
      const parsed = await accept(request);
      const trigger = parsed.workflow.currentVersionId ? await triggerOf(parsed.workflow.currentVersionId) : undefined;
      if (!trigger) {
        const stored = await storeAlone(parsed);
        throw new ConflictError(`'${parsed.workflow.name}' has no published version with a Webhook trigger; the delivery was stored as ${stored.deliveryId}.`);
      }
      const actor = parsed.authenticatedBy.startsWith("token:") ? `api-token:${parsed.authenticatedBy.slice(6)}` : "webhook";
      let delivery = parsed.idempotencyKey ? await findByKey(parsed.workflow.id, parsed.idempotencyKey) : null;
      let duplicate = delivery !== null;
      let run: { id: string; status: string };
      let claimedHere = false;
      if (delivery?.runId) {
        run = await deps.runs.get(delivery.runId);
      } else {
        // The delivery row commits with the run, or neither does: nothing acknowledged is lost,
        // and nothing is stored that started no run. An earlier delivery with the same key that
        // found no trigger then gets its run now.
        const earlier = delivery;
        let storedId: string = earlier?.id ?? orderedId();
        // The caller waits for the result: the run is born claimed by this process, which works
        // it at once below, rather than queued for whichever worker looks first.
        const claimedBy = trigger.config?.respond === "result" ? deps.inline?.claim() : undefined;
        const started = await deps.runs.start(
          { workflow: parsed.workflow.id, input: parsed.body, ...(parsed.idempotencyKey ? { idempotencyKey: `webhook:${parsed.idempotencyKey}` } : {}) },
          actor,
          "webhook",
          trigger.id,
          {
            claimedBy,
            delivery: { id: storedId, existing: earlier !== null, authenticatedBy: parsed.authenticatedBy, idempotencyKey: parsed.idempotencyKey, body: parsed.body, contentType: parsed.contentType },
          },
        );
        claimedHere = started.created && claimedBy !== undefined;
        if (!started.created && !earlier && parsed.idempotencyKey) {
          // The same key, concurrently: the other request stored the delivery with its run.
          delivery = await findByKey(parsed.workflow.id, parsed.idempotencyKey);
          storedId = delivery?.id ?? storedId;
          duplicate = true;
        }
        run = started;
        delivery = { id: storedId, runId: run.id };
      }
      const base = { deliveryId: delivery.id, runId: run.id, duplicate };
      if (trigger.config?.respond !== "result") return { status: 202, body: { ...base, status: run.status } };
      const timeoutMs = (trigger.config.timeoutSeconds ?? 30) * 1000;
      const until = Date.now() + timeoutMs;
      // The caller is waiting: run it here rather than wait for a worker to pick it up. If a
      // worker already has it, or it waits for a person or a timer, the loop below waits.
      if (deps.inline && (claimedHere || run.status === "queued")) await deps.inline.runNow(run.id, timeoutMs, claimedHere);
      for (;;) {
        const current = await runResult(run.id);
        if (isFinished(current.status)) return { status: 200, body: { ...base, status: current.status, output: current.output } };
        if (Date.now() >= until) return { status: 202, body: { ...base, status: current.status } };
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },

    async sweepReplayGuards(): Promise<void> {
      await db.webhookReplayGuard.deleteMany({ where: { expiresAt: { lt: now() } } });
    },
  };
}

export type WebhookService = ReturnType<typeof webhookService>;

/** Who signs requests to an endpoint: the credential holding the secret, and the replay guard's scope. */
export interface Signer {
  scope: string;
  credential: string;
}

/**
 * Authenticates an inbound request by API token or by an HMAC signature with the signer's
 * secret (stale and replayed signatures refused). Returns how: `token:<id>` or `signature`.
 * Shared by workflow webhooks and the coordinator's intent endpoints.
 */
export function requestAuthenticator(db: Db, deps: { auth: AuthService; cipher: Cipher; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  async function verifySignature(signer: Signer | undefined, headers: Headers, body: string): Promise<void> {
    const signature = headers.get(SIGNATURE_HEADER) ?? "";
    const timestampText = headers.get(TIMESTAMP_HEADER) ?? "";
    const timestamp = Number(timestampText);
    if (!/^\d{1,12}$/.test(timestampText)) {
      throw new UnauthenticatedError(`${TIMESTAMP_HEADER}: must be the signing time in Unix seconds`);
    }
    const credential = signer ? await db.credential.findUnique({ where: { name: signer.credential } }) : null;
    const secret = credential ? deps.cipher.open(credential) : undefined;
    if (!signer || !secret || !safeEqual(signature, signWebhook(secret, timestamp, body))) {
      throw new UnauthenticatedError("The webhook signature does not match.");
    }
    if (Math.abs(now().getTime() - timestamp * 1000) > SIGNATURE_TOLERANCE_MS) {
      throw new UnauthenticatedError("The webhook signature is stale: its timestamp is more than 5 minutes from the server's clock.");
    }
    const signatureHash = createHash("sha256").update(`${signer.scope}:${signature}`).digest("hex");
    try {
      await db.webhookReplayGuard.create({ data: { signatureHash, expiresAt: new Date(timestamp * 1000 + SIGNATURE_TOLERANCE_MS) } });
    } catch (error) {
      if (isUniqueViolation(error)) throw new UnauthenticatedError("This signed webhook request was already received (replay refused).");
      throw error;
    }
  }

  return async (signer: Signer | undefined, headers: Headers, body: string): Promise<string> => {
    const bearer = headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) {
      const token = await deps.auth.apiToken(bearer);
      if (!token) throw new UnauthenticatedError("The API token is not valid (unknown or revoked).");
      return `token:${token.id}`;
    }
    if (headers.has(SIGNATURE_HEADER)) {
      await verifySignature(signer, headers, body);
      return "signature";
    }
    throw new UnauthenticatedError("Webhook requests need an API token (Authorization: Bearer …) or a signature (X-Keel-Signature and X-Keel-Timestamp).");
  };
}
