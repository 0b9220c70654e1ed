import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import type { ResolvedCredential } from "../../engine/registry";
import type { Db } from "../../engine/store";
import type { Cipher } from "../secrets/cipher";
import { audit } from "./audit";
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
  }
}

export const CreateCredentialInput = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, "must be lowercase letters, digits, _ . or -"),
  kind: z.enum(Object.keys(SECRET_SCHEMAS) as [CredentialKind, ...CredentialKind[]]),
  secret: z.record(z.string(), z.unknown()),
});

/** Names reserved for Keel's own secrets (webhook signing). */
const RESERVED = /^webhook-signing:/;

export function credentialService(db: Db, cipher: Cipher) {
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
        await db.credential.create({ data: { name: input.name, kind: input.kind, ...sealed } });
      } catch (error) {
        if ((error as { code?: string }).code === "P2002") throw new ConflictError(`A credential named '${input.name}' exists; delete it first.`);
        throw error;
      }
      await audit(db, { actor, action: "credential.create", targetType: "credential", targetId: input.name, detail: { kind: input.kind } });
      return { name: input.name, kind: input.kind };
    },

    /** Names, kinds and dates; never the secrets. */
    async list() {
      const rows = await db.credential.findMany({ orderBy: { name: "asc" }, select: { name: true, kind: true, createdAt: true, lastUsedAt: true } });
      return rows.filter((r) => !RESERVED.test(r.name)).map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), lastUsedAt: r.lastUsedAt?.toISOString() ?? null }));
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
