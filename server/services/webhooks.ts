import { createHash, createHmac, randomBytes } from "node:crypto";
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from "../../engine/errors";
import { webhookTrigger } from "../../nodes/triggers/webhook";
import { assertJsonWithin, LIMITS } from "../../engine/limits";
import { isFinished } from "../../engine/runtime/run-status";
import { isUniqueViolation, json, workflowRef, type Db } from "../../engine/store";
import type { AuthService } from "../auth/service";
import { safeEqual } from "../auth/tokens";
import type { Cipher } from "../secrets/cipher";
import { audit } from "./audit";
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
    now?: () => Date;
    /** Works a run in this process until it settles or the time is up (synchronous webhooks). */
    runNow?: (runId: string, timeoutMs: number) => Promise<unknown>;
  },
) {
  const now = deps.now ?? (() => new Date());

  async function findWorkflow(ref: string) {
    return db.workflow.findFirst({ where: workflowRef(ref), select: { id: true } });
  }

  const authenticate = requestAuthenticator(db, deps);

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
      if (idempotencyKey) {
        const existing = await db.webhookDelivery.findUnique({ where: { workflowId_idempotencyKey: { workflowId: workflow.id, idempotencyKey } } });
        if (existing) return { deliveryId: existing.id, duplicate: true };
      }
      try {
        const delivery = await db.webhookDelivery.create({
          data: { workflowId: workflow.id, authenticatedBy, idempotencyKey, body: json(body), contentType },
        });
        return { deliveryId: delivery.id, duplicate: false };
      } catch (error) {
        // The same key, concurrently: the other request stored it.
        if (idempotencyKey && isUniqueViolation(error)) {
          const existing = await db.webhookDelivery.findUniqueOrThrow({ where: { workflowId_idempotencyKey: { workflowId: workflow.id, idempotencyKey } } });
          return { deliveryId: existing.id, duplicate: true };
        }
        throw error;
      }
    },

    /**
     * Authenticates and stores the delivery, then starts a run at the published version's
     * Webhook trigger (once per delivery: a repeated Idempotency-Key finds the same run), and
     * answers at once or, when the trigger asks for it, with the run's result.
     */
    async deliver(request: WebhookRequest): Promise<WebhookAnswer> {
      const accepted = await this.receive(request);
      const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: accepted.deliveryId } });
      const wf = await db.workflow.findUniqueOrThrow({ where: { id: delivery.workflowId }, select: { name: true, currentVersion: { select: { graph: true } } } });
      const nodes = ((wf.currentVersion?.graph as { nodes?: { id: string; type: string; config?: { respond?: string; timeoutSeconds?: number } }[] } | undefined)?.nodes ?? [])
        .filter((n) => n.type === webhookTrigger.type)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const trigger = nodes[0];
      if (!trigger) {
        throw new ConflictError(`'${wf.name}' has no published version with a Webhook trigger; the delivery was stored as ${delivery.id}.`);
      }
      const run = await deps.runs.start(
        { workflow: delivery.workflowId, input: delivery.body, idempotencyKey: `webhook:${delivery.idempotencyKey ?? delivery.id}` },
        delivery.authenticatedBy.startsWith("token:") ? `api-token:${delivery.authenticatedBy.slice(6)}` : "webhook",
        "webhook",
        trigger.id,
      );
      if (!delivery.runId) await db.webhookDelivery.update({ where: { id: delivery.id }, data: { runId: run.id } });
      const base = { deliveryId: delivery.id, runId: run.id, duplicate: accepted.duplicate };
      if (trigger.config?.respond !== "result") return { status: 202, body: { ...base, status: run.status } };
      const timeoutMs = (trigger.config.timeoutSeconds ?? 30) * 1000;
      const until = Date.now() + timeoutMs;
      // The caller is waiting: run it here rather than wait for a worker to pick it up. If a
      // worker already has it, or it waits for a person or a timer, the loop below waits.
      if (deps.runNow && run.status === "queued") await deps.runNow(run.id, timeoutMs);
      for (;;) {
        const current = await deps.runs.get(run.id);
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
