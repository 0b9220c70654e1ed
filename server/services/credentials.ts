import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import type { ResolvedCredential } from "../../engine/registry";
import { isUniqueViolation, type Db } from "../../engine/store";
import type { Cipher } from "../secrets/cipher";
import { audit } from "./audit";
import { takeTokenOrWait } from "./rate-bucket";
import { zodIssues } from "./zod-issues";

// Credentials: secrets sealed with AES-256-GCM at rest, resolved only on the server when a step
// needs them, never returned to the browser, never exported, never logged.

export const SmtpSecretSchema = z
  .object({
    host: z.string().min(1, "is required"),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    user: z.string().optional(),
    password: z.string().optional(),
    from: z.string().min(3, "is required"),
  })
  .strict();

export const SECRET_SCHEMAS = {
  smtp: SmtpSecretSchema,
  /** Sent as `Authorization: Bearer <token>`. */
  bearer: z.object({ token: z.string().min(1, "is required") }).strict(),
  /** Sent as `Authorization: Basic base64(user:password)`. */
  basic: z.object({ user: z.string().min(1, "is required").regex(/^[^:]*$/, "must not contain ':'"), password: z.string().min(1, "is required") }).strict(),
  /** Sent as `<name>: <value>`, e.g. `X-Api-Key`. */
  header: z
    .object({
      name: z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name (letters, digits and -)").refine((n) => !/^(host|content-length|idempotency-key)$/i.test(n), "is set by Keel itself"),
      value: z.string().min(1, "is required").regex(/^[^\r\n]*$/, "must be one line"),
    })
    .strict(),
  /** A shared secret Keel signs outgoing webhooks with (HMAC-SHA256); the receiver checks it. */
  signing: z.object({ secret: z.string().min(16, "must be at least 16 characters") }).strict(),
} as const;
export type CredentialKind = keyof typeof SECRET_SCHEMAS;

/**
 * The strings in an opened secret the engine must redact from what it stores, with the derived
 * forms that only the kind reveals (Basic and SMTP PLAIN auth encode user and password together).
 */
export function sensitiveValues(kind: CredentialKind, secret: Record<string, unknown>): string[] {
  const s = secret as Record<string, string | undefined>;
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
  switch (kind) {
    case "smtp":
      return s.password ? [s.password, b64(`${s.user ?? ""}:${s.password}`), b64(`\u0000${s.user ?? ""}\u0000${s.password}`)] : [];
    case "bearer":
      return [s.token!];
    case "basic":
      return [s.password!, b64(`${s.user}:${s.password}`)];
    case "header":
      return [s.value!];
    case "signing":
      return [s.secret!];
  }
}

/** Requests through one credential, shared by all workers: a burst of `capacity`, then `refillPerSecond`. */
export const RateLimitSchema = z
  .object({
    capacity: z.number().int("must be a whole number").min(1, "must be at least 1").max(100_000, "must be at most 100000"),
    refillPerSecond: z.number().positive("must be more than 0").max(100_000, "must be at most 100000"),
  })
  .strict();

const CredentialName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, "must be lowercase letters, digits, _ . or -");

export const CreateCredentialInput = z.object({
  name: CredentialName,
  kind: z.enum(Object.keys(SECRET_SCHEMAS) as [CredentialKind, ...CredentialKind[]]),
  secret: z.record(z.string(), z.unknown()),
  rateLimit: RateLimitSchema.optional(),
});

export const SetRateLimitInput = z.object({ name: z.string().min(1), rateLimit: RateLimitSchema.nullable() });

/** The bucket columns for a (new) limit: it starts full. */
const bucket = (limit: z.output<typeof RateLimitSchema> | null | undefined) => ({
  rateCapacity: limit?.capacity ?? null,
  rateRefillPerSecond: limit?.refillPerSecond ?? null,
  rateTokens: null,
  rateAt: null,
});

/** Names reserved for Keel's own secrets (webhook signing, the LLM endpoint's key). */
const RESERVED = /^(webhook-signing|llm-endpoint):/;

export function credentialService(db: Db, cipher: Cipher, now: () => number = Date.now) {
  return {
    async create(raw: z.input<typeof CreateCredentialInput>, actor = "operator") {
      const input = CreateCredentialInput.parse(raw);
      const parsed = SECRET_SCHEMAS[input.kind].safeParse(input.secret);
      if (!parsed.success) {
        const issues = zodIssues(parsed.error, "secret");
        throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
      }
      const sealed = cipher.seal(JSON.stringify(parsed.data));
      try {
        await db.credential.create({ data: { name: input.name, kind: input.kind, ...sealed, ...bucket(input.rateLimit) } });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`A credential named '${input.name}' exists; delete it first.`);
        throw error;
      }
      await audit(db, { actor, action: "credential.create", targetType: "credential", targetId: input.name, detail: { kind: input.kind, rateLimit: input.rateLimit ?? null } });
      return { name: input.name, kind: input.kind, rateLimit: input.rateLimit ?? null };
    },

    /** Sets or clears a credential's rate limit; the bucket starts full. */
    async setRateLimit(raw: z.input<typeof SetRateLimitInput>, actor = "operator") {
      const input = SetRateLimitInput.parse(raw);
      if (RESERVED.test(input.name)) throw new ValidationError("name: reserved for Keel's own secrets");
      const { count } = await db.credential.updateMany({ where: { name: input.name }, data: { ...bucket(input.rateLimit), rateVersion: { increment: 1 } } });
      if (!count) throw new NotFoundError(`name: there is no credential named '${input.name}'`);
      await audit(db, { actor, action: "credential.update", targetType: "credential", targetId: input.name, detail: { rateLimit: input.rateLimit } });
      return { name: input.name, rateLimit: input.rateLimit };
    },

    /** Names, kinds and dates; never the secrets. */
    async list() {
      const rows = await db.credential.findMany({ orderBy: { name: "asc" }, select: { name: true, kind: true, createdAt: true, lastUsedAt: true, rateCapacity: true, rateRefillPerSecond: true } });
      return rows
        .filter((r) => !RESERVED.test(r.name))
        .map(({ rateCapacity, rateRefillPerSecond, ...r }) => ({
          ...r,
          createdAt: r.createdAt.toISOString(),
          lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
          rateLimit: rateCapacity !== null && rateRefillPerSecond !== null ? { capacity: rateCapacity, refillPerSecond: rateRefillPerSecond } : null,
        }));
    },

    async remove(name: string, actor = "operator") {
      if (RESERVED.test(name)) throw new ValidationError("name: reserved for Keel's own secrets");
      const { count } = await db.credential.deleteMany({ where: { name } });
      if (!count) throw new NotFoundError(`no credential '${name}'`);
      await audit(db, { actor, action: "credential.delete", targetType: "credential", targetId: name });
    },

    /**
     * Server-side only: opens a credential of one of `kinds` for a step, with the values the
     * engine must redact. Errors name the `credential` field.
     */
    async open(name: string, kinds: readonly string[]): Promise<ResolvedCredential> {
      const row = await db.credential.findUnique({ where: { name } });
      if (!row || RESERVED.test(name)) throw new NotFoundError(`credential: there is no credential named '${name}'; add it in Settings`);
      if (!kinds.includes(row.kind)) throw new ValidationError(`credential: '${name}' is a ${row.kind} credential; this step needs ${kinds.join(" or ")}`);
      const kind = row.kind as CredentialKind;
      // Rate-limited: no token, no secret; the step waits (durably) for the next token.
      if (row.rateCapacity !== null) await takeTokenOrWait(db, name, now);
      const secret = SECRET_SCHEMAS[kind].parse(JSON.parse(cipher.open(row))) as Record<string, unknown>;
      await db.credential.update({ where: { name }, data: { lastUsedAt: new Date() } });
      return { kind, secret, sensitive: sensitiveValues(kind, secret) };
    },

    /** Server-side only: the opened secret, for a step that uses it. */
    async resolve<K extends CredentialKind>(name: string, kind: K): Promise<z.output<(typeof SECRET_SCHEMAS)[K]>> {
      const row = await db.credential.findUnique({ where: { name } });
      if (!row || RESERVED.test(name)) throw new NotFoundError(`no credential '${name}'`);
      if (row.kind !== kind) throw new ValidationError(`credential: '${name}' is a ${row.kind} credential, not ${kind}`);
      await db.credential.update({ where: { name }, data: { lastUsedAt: new Date() } });
      return SECRET_SCHEMAS[kind].parse(JSON.parse(cipher.open(row))) as z.output<(typeof SECRET_SCHEMAS)[K]>;
    },
  };
}

export type CredentialService = ReturnType<typeof credentialService>;
