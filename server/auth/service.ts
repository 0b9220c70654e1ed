import { createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import { ConflictError, RateLimitedError, UnauthenticatedError, ValidationError } from "../../engine/errors";
import { dateOf, json, readRows, type Database, type Db } from "../../engine/store";
import { audit } from "../services/audit";
import { zodIssues } from "../services/zod-issues";
import { hashPassword, PasswordSchema, verifyPassword } from "./password";
import { API_TOKEN_PREFIX, hashToken, newToken, safeEqual } from "./tokens";

export interface AuthOptions {
  sessionTtlMs: number;
  now?: () => Date;
  /** Signs device cookies; without one, a random key per process (cookies last until a restart). */
  deviceKey?: string;
  /** The bare driver, for the token lookup every API request and webhook makes. */
  database?: Database;
}

export interface ClientInfo {
  ip: string;
  userAgent?: string | undefined;
  /** The device cookie as the client sent it (verified here, so a forged one counts as none). */
  device?: string | undefined;
}

export interface IssuedSession {
  token: string;
  expiresAt: Date;
  /** The signed device cookie to set: it gives this device its own sign-in allowance later. */
  device: string;
}

// Rate limits for sign-in: per client address, and overall so that many addresses cannot
// guess together. Counted in the database: shared by every process, kept across restarts.
// A device that signed in before (a signed device cookie, as OWASP's lockout guidance
// describes) has its own allowance instead, so strangers cannot lock the operator out.
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perIp: 5, overall: 50, perDevice: 5 } as const;
// A session is also refused after this long, however active.
const ABSOLUTE_SESSION_MS = 30 * 24 * 3_600_000;
// lastSeenAt/expiresAt are refreshed at most this often, to keep reads from writing.
const TOUCH_EVERY_MS = 60_000;
const SETUP_SETTING = "auth.setup";

function parsePassword(password: unknown, field = "password"): string {
  const parsed = PasswordSchema.safeParse(password);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, field);
    throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

export const CreateTokenInput = z.object({ name: z.string().trim().min(1, "is required").max(80, "must be at most 80 characters") });

export function authService(db: Db, options: AuthOptions) {
  const now = options.now ?? (() => new Date());
  const { database } = options;
  type TokenRow = { id: string; name: string; revokedAt: unknown; lastUsedAt: unknown };
  const findToken = async (tokenHash: string): Promise<TokenRow | null> =>
    database
      ? ((await readRows<TokenRow>(database, `SELECT "id", "name", "revokedAt", "lastUsedAt" FROM "ApiToken" WHERE "tokenHash" = ?`, [tokenHash]))[0] ?? null)
      : db.apiToken.findUnique({ where: { tokenHash }, select: { id: true, name: true, revokedAt: true, lastUsedAt: true } });
  const deviceKey = options.deviceKey ?? randomBytes(32).toString("hex");
  const signDevice = (id: string) => `${id}.${createHmac("sha256", deviceKey).update(`keel-device:${id}`).digest("base64url")}`;

  /** The device id behind a cookie, or undefined when there is none or its signature is wrong. */
  function verifiedDevice(cookie: string | undefined): string | undefined {
    const id = cookie?.split(".")[0];
    return id && /^[A-Za-z0-9_-]{22}$/.test(id) && safeEqual(signDevice(id), cookie!) ? id : undefined;
  }

  async function issueSession(client: ClientInfo, deviceId = verifiedDevice(client.device) ?? randomBytes(16).toString("base64url")): Promise<IssuedSession> {
    const token = newToken();
    const at = now();
    const expiresAt = new Date(at.getTime() + options.sessionTtlMs);
    // Times come from the injected clock, not database defaults, so tests can move it.
    await db.session.create({
      data: { tokenHash: hashToken(token), createdAt: at, lastSeenAt: at, expiresAt, ip: client.ip, userAgent: client.userAgent?.slice(0, 300) ?? null },
    });
    return { token, expiresAt, device: signDevice(deviceId) };
  }

  /**
   * Records the attempt first, then counts the attempts already recorded: every attempt sees
   * its own row and those of every attempt that counted before it, so of N parallel guesses
   * at most `limit` find themselves within it (a check-then-record let them all through). An
   * attempt over the limit is deleted again, so refused guesses do not extend the lockout.
   */
  async function reserveAttempt(ip: string, device: string | undefined): Promise<string> {
    const at = now();
    const since = new Date(at.getTime() - LOGIN_LIMITS.windowMs);
    const row = await db.loginAttempt.create({ data: { ip, device: device ?? null, succeeded: false, createdAt: at }, select: { id: true } });
    const failed = { succeeded: false, createdAt: { gte: since } };
    let refusal: RateLimitedError | undefined;
    if (device) {
      if ((await db.loginAttempt.count({ where: { ...failed, device } })) > LOGIN_LIMITS.perDevice) {
        refusal = new RateLimitedError("Too many failed sign-ins from this device. Try again in a few minutes, or run `keel reset-password`.", LOGIN_LIMITS.windowMs);
      }
    } else {
      const [fromIp, overall] = await Promise.all([
        db.loginAttempt.count({ where: { ...failed, device: null, ip } }),
        db.loginAttempt.count({ where: { ...failed, device: null } }),
      ]);
      if (fromIp > LOGIN_LIMITS.perIp) {
        const oldest = await db.loginAttempt.findFirst({ where: { ...failed, device: null, ip }, orderBy: { createdAt: "asc" }, select: { createdAt: true } });
        const retryAfterMs = (oldest?.createdAt.getTime() ?? at.getTime()) + LOGIN_LIMITS.windowMs - at.getTime();
        refusal = new RateLimitedError(
          `Too many failed sign-ins from this address. Try again in ${Math.max(1, Math.ceil(retryAfterMs / 60_000))} minute(s).`,
          Math.max(1_000, retryAfterMs),
        );
      } else if (overall > LOGIN_LIMITS.overall) {
        refusal = new RateLimitedError(
          "Too many failed sign-ins. Try again in a few minutes from a device that signed in before, or run `keel reset-password`.",
          LOGIN_LIMITS.windowMs,
        );
      }
    }
    if (refusal) {
      await db.loginAttempt.deleteMany({ where: { id: row.id } });
      throw refusal;
    }
    return row.id;
  }

  return {
    /** What the sign-in page needs to know. */
    async status(): Promise<{ configured: boolean }> {
      return { configured: (await db.operator.count()) > 0 };
    },

    /**
     * The first password, through the one-time link `keel start` prints. Fails once a password
     * exists, so the link cannot be used to take over a configured Keel.
     */
    async setup(input: { token: unknown; password: unknown }, client: ClientInfo): Promise<IssuedSession> {
      const password = parsePassword(input.password);
      const setting = await db.setting.findUnique({ where: { key: SETUP_SETTING } });
      const stored = (setting?.value as { tokenHash?: string } | undefined)?.tokenHash;
      if (typeof input.token !== "string" || !stored || !safeEqual(hashToken(input.token), stored)) {
        throw new UnauthenticatedError("This set-up link is not valid. Use the link `keel start` printed last, or run `keel reset-password`.");
      }
      const passwordHash = await hashPassword(password);
      try {
        await db.operator.create({ data: { id: "operator", passwordHash } });
      } catch (error) {
        if ((error as { code?: string }).code === "P2002") throw new ConflictError("A password is already set. Sign in instead.");
        throw error;
      }
      await db.setting.delete({ where: { key: SETUP_SETTING } }).catch(() => undefined);
      await audit(db, { actor: "operator", action: "auth.setup", detail: { ip: client.ip } });
      return issueSession(client);
    },

    /** A new one-time set-up link token, while no password is set; undefined once one is. */
    async createSetupToken(): Promise<string | undefined> {
      if ((await db.operator.count()) > 0) return undefined;
      const token = newToken();
      await db.setting.upsert({
        where: { key: SETUP_SETTING },
        create: { key: SETUP_SETTING, value: json({ tokenHash: hashToken(token), createdAt: now().toISOString() }) },
        update: { value: json({ tokenHash: hashToken(token), createdAt: now().toISOString() }) },
      });
      return token;
    },

    async login(input: { password: unknown }, client: ClientInfo): Promise<IssuedSession> {
      const device = verifiedDevice(client.device);
      const attempt = await reserveAttempt(client.ip, device);
      const operator = await db.operator.findUnique({ where: { id: "operator" } });
      const ok = typeof input.password === "string" && !!operator && (await verifyPassword(operator.passwordHash, input.password));
      if (ok) await db.loginAttempt.updateMany({ where: { id: attempt }, data: { succeeded: true } });
      if (!ok) {
        await audit(db, { actor: "anonymous", action: "auth.login_failed", detail: { ip: client.ip } });
        throw new UnauthenticatedError(operator ? "Wrong password." : "No password is set yet. Use the set-up link `keel start` printed.");
      }
      await audit(db, { actor: "operator", action: "auth.login", detail: { ip: client.ip } });
      return issueSession(client, device);
    },

    /** The session behind a cookie token, or null when there is none or it has expired. */
    async session(token: string | undefined): Promise<{ id: string; expiresAt: Date } | null> {
      if (!token) return null;
      const session = await db.session.findUnique({ where: { tokenHash: hashToken(token) } });
      const at = now();
      if (!session) return null;
      if (session.expiresAt <= at || session.createdAt.getTime() + ABSOLUTE_SESSION_MS <= at.getTime()) {
        await db.session.deleteMany({ where: { id: session.id } });
        return null;
      }
      if (at.getTime() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
        const expiresAt = new Date(at.getTime() + options.sessionTtlMs);
        await db.session.updateMany({ where: { id: session.id }, data: { lastSeenAt: at, expiresAt } });
        return { id: session.id, expiresAt };
      }
      return { id: session.id, expiresAt: session.expiresAt };
    },

    async logout(token: string | undefined): Promise<void> {
      if (!token) return;
      const { count } = await db.session.deleteMany({ where: { tokenHash: hashToken(token) } });
      if (count) await audit(db, { actor: "operator", action: "auth.logout" });
    },

    /** Sets the password (creating the operator if needed) and ends every session. */
    async setPassword(password: unknown, actor: string): Promise<void> {
      const passwordHash = await hashPassword(parsePassword(password));
      await db.$transaction([
        db.operator.upsert({ where: { id: "operator" }, create: { id: "operator", passwordHash }, update: { passwordHash, passwordChangedAt: now() } }),
        db.session.deleteMany({}),
        // A reset also lifts a sign-in lockout.
        db.loginAttempt.deleteMany({}),
        db.setting.deleteMany({ where: { key: SETUP_SETTING } }),
      ]);
      await audit(db, { actor, action: "auth.password_set" });
    },

    /** KEEL_PASSWORD: applied when it differs from the stored password. */
    async applyConfiguredPassword(password: string): Promise<boolean> {
      const operator = await db.operator.findUnique({ where: { id: "operator" } });
      if (operator && (await verifyPassword(operator.passwordHash, password))) return false;
      await this.setPassword(password, "config:KEEL_PASSWORD");
      return true;
    },

    async createApiToken(input: unknown, actor = "operator"): Promise<{ id: string; name: string; prefix: string; token: string }> {
      const { name } = CreateTokenInput.parse(input);
      const token = newToken(API_TOKEN_PREFIX);
      const prefix = token.slice(0, API_TOKEN_PREFIX.length + 6);
      const row = await db.apiToken.create({ data: { name, prefix, tokenHash: hashToken(token), createdAt: now() } });
      await audit(db, { actor, action: "token.create", targetType: "api_token", targetId: row.id, detail: { name } });
      return { id: row.id, name, prefix, token };
    },

    async listApiTokens() {
      const rows = await db.apiToken.findMany({ orderBy: { createdAt: "desc" } });
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        prefix: r.prefix,
        createdAt: r.createdAt.toISOString(),
        lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
        revokedAt: r.revokedAt?.toISOString() ?? null,
      }));
    },

    async revokeApiToken(id: string, actor = "operator"): Promise<void> {
      const { count } = await db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now() } });
      if (count) await audit(db, { actor, action: "token.revoke", targetType: "api_token", targetId: id });
    },

    /** The live token behind a bearer credential; records its use (to the minute). */
    async apiToken(token: string | undefined): Promise<{ id: string; name: string } | null> {
      if (!token || !token.startsWith(API_TOKEN_PREFIX)) return null;
      const row = await findToken(hashToken(token));
      if (!row || row.revokedAt) return null;
      // To the minute: a write per request would queue every webhook behind SQLite's write lock.
      const at = now();
      const lastUsedAt = dateOf(row.lastUsedAt);
      if (!lastUsedAt || at.getTime() - lastUsedAt.getTime() >= 60_000) await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: at } });
      return { id: row.id, name: row.name };
    },

    /** Drops expired sessions and old sign-in attempts. */
    async sweep(): Promise<void> {
      const at = now();
      await db.session.deleteMany({ where: { expiresAt: { lte: at } } });
      await db.loginAttempt.deleteMany({ where: { createdAt: { lt: new Date(at.getTime() - 24 * 3_600_000) } } });
    },
  };
}

export type AuthService = ReturnType<typeof authService>;
