import { randomBytes } from "node:crypto";
import { ValidationError } from "../../engine/errors";
import type { Db } from "../../engine/store";
import type { AuthService } from "../auth/service";
import type { Cipher } from "../secrets/cipher";
import { audit } from "../services/audit";
import { requestAuthenticator, type Signer } from "../services/webhooks";
import type { IntentService } from "./service";

// Intents arriving over HTTP from outside: a JSON request (a form on a website, another
// system) and an inbound-email webhook (a mail provider posting the raw RFC 5322 message).
// Both are authenticated like workflow webhooks: an API token, or an HMAC signature with the
// coordinator's own signing secret (stale and replayed signatures refused).

export const INTENT_SIGNER: Signer = { scope: "intents", credential: "webhook-signing:intents" };

const actorOf = (authenticatedBy: string) => (authenticatedBy.startsWith("token:") ? `api-token:${authenticatedBy.slice(6)}` : "webhook");

export function intentIntake(db: Db, deps: { auth: AuthService; cipher: Cipher; intents: IntentService; now?: () => Date }) {
  const authenticate = requestAuthenticator(db, deps);

  return {
    /** POST /api/intents: `{ text, email?, name?, fields?, sourceRef? }`; an Idempotency-Key header is the sourceRef. */
    async receiveJson(headers: Headers, body: Uint8Array) {
      const text = Buffer.from(body).toString("utf8");
      const authenticatedBy = await authenticate(INTENT_SIGNER, headers, text);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ValidationError("body: is not valid JSON", [{ path: "body", message: "is not valid JSON" }]);
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new ValidationError("body: must be a JSON object with a text", [{ path: "body", message: "must be an object" }]);
      const key = headers.get("idempotency-key")?.slice(0, 300);
      const input = key && !("sourceRef" in parsed) ? { ...parsed, sourceRef: key } : parsed;
      return deps.intents.submit("webhook", input, { actor: actorOf(authenticatedBy) });
    },

    /**
     * POST /api/intents/email: the raw message. The sender becomes the contact, subject and
     * body the text, the Message-ID the sourceRef (a provider delivering twice makes one intent).
     */
    async receiveEmail(headers: Headers, body: Uint8Array) {
      const raw = Buffer.from(body).toString("utf8");
      const authenticatedBy = await authenticate(INTENT_SIGNER, headers, raw);
      if (raw.trim() === "") throw new ValidationError("body: is empty; post the raw RFC 5322 message", [{ path: "body", message: "is empty" }]);
      // Loaded on the first message: the parser and its encodings are large, and most Keels receive no email.
      const { simpleParser } = await import("mailparser");
      const mail = await simpleParser(Buffer.from(body), { skipImageLinks: true, skipTextToHtml: true });
      const from = mail.from?.value[0];
      if (!from?.address) throw new ValidationError("From: the message has no sender address", [{ path: "from", message: "is missing" }]);
      const subject = (mail.subject ?? "").trim();
      const content = (mail.text ?? "").trim();
      if (!subject && !content) throw new ValidationError("body: the message has neither a subject nor a text part", [{ path: "text", message: "is empty" }]);
      return deps.intents.submit(
        "email",
        {
          text: [subject, content].filter(Boolean).join("\n\n").slice(0, 20_000),
          email: from.address,
          ...(from.name ? { name: from.name.slice(0, 200) } : {}),
          fields: { subject, to: mail.to ? [mail.to].flat().map((t) => t.text).join(", ") : "", date: mail.date?.toISOString() ?? null },
          ...(mail.messageId ? { sourceRef: mail.messageId.slice(0, 300) } : {}),
        },
        { actor: actorOf(authenticatedBy), rawContent: { message: raw } },
      );
    },

    /** A new signing secret for the intent endpoints; shown once, stored sealed. */
    async rotateSigningSecret(actor = "operator"): Promise<{ secret: string }> {
      const secret = `whsec_${randomBytes(32).toString("base64url")}`;
      const sealed = deps.cipher.seal(secret);
      const name = INTENT_SIGNER.credential;
      await db.credential.upsert({ where: { name }, create: { name, kind: "webhook_signing", ...sealed }, update: sealed });
      await audit(db, { actor, action: "webhook.rotate_secret", targetType: "intents", targetId: "intents" });
      return { secret };
    },
  };
}

export type IntentIntake = ReturnType<typeof intentIntake>;
