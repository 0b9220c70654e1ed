import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, RateLimitedError, UnauthenticatedError, ValidationError } from "../../engine/errors";
import { authService, LOGIN_LIMITS } from "../../server/auth/service";
import { hashToken } from "../../server/auth/tokens";
import { databaseKinds, migratedDatabase } from "../support/databases";

const HOUR = 3_600_000;
const PASSWORD = "correct horse battery staple";

describe.each(databaseKinds())("operator authentication on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let clock: Date;
  let auth: ReturnType<typeof authService>;
  const client = { ip: "203.0.113.7", userAgent: "test" };

  beforeAll(async () => {
    env = await migratedDatabase(kind);
  });
  afterAll(async () => {
    await env.dispose();
  });
  beforeEach(async () => {
    const { db } = env.database;
    await db.session.deleteMany({});
    await db.loginAttempt.deleteMany({});
    await db.operator.deleteMany({});
    await db.apiToken.deleteMany({});
    await db.setting.deleteMany({ where: { key: "auth.setup" } });
    clock = new Date("2026-11-30T12:00:00Z");
    auth = authService(db, { sessionTtlMs: 24 * HOUR, now: () => clock });
  });

  async function failure(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => {
        throw new Error("expected a failure");
      },
      (error: unknown) => error,
    );
  }

  it("sets the first password only through the one-time set-up link", async () => {
    expect(await auth.status()).toEqual({ configured: false });
    const token = (await auth.createSetupToken())!;
    expect(await failure(auth.setup({ token: "guess", password: PASSWORD }, client))).toBeInstanceOf(UnauthenticatedError);
    const bad = await failure(auth.setup({ token, password: "short" }, client));
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as Error).message).toBe("password: must be at least 10 characters");

    const session = await auth.setup({ token, password: PASSWORD }, client);
    expect(await auth.session(session.token)).not.toBeNull();
    expect(await auth.status()).toEqual({ configured: true });
    // The link is spent, and no new one is issued once a password exists.
    expect(await failure(auth.setup({ token, password: PASSWORD }, client))).toBeInstanceOf(UnauthenticatedError);
    expect(await auth.createSetupToken()).toBeUndefined();
  });

  it("refuses a second set-up racing the first", async () => {
    const token = (await auth.createSetupToken())!;
    const results = await Promise.allSettled([auth.setup({ token, password: PASSWORD }, client), auth.setup({ token, password: "another password!" }, client)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason instanceof ConflictError || rejected.reason instanceof UnauthenticatedError).toBe(true);
  });

  it("signs in with the right password only, and stores only a hash of the session token", async () => {
    await auth.setPassword(PASSWORD, "test");
    expect(await failure(auth.login({ password: "wrong password" }, client))).toBeInstanceOf(UnauthenticatedError);
    const session = await auth.login({ password: PASSWORD }, client);
    const rows = await env.database.db.session.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(hashToken(session.token));
    expect(JSON.stringify(rows)).not.toContain(session.token);
    const operator = await env.database.db.operator.findUniqueOrThrow({ where: { id: "operator" } });
    expect(operator.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("limits failed sign-ins per address, and lifts the limit when the window passes", async () => {
    await auth.setPassword(PASSWORD, "test");
    for (let i = 0; i < LOGIN_LIMITS.perIp; i++) {
      expect(await failure(auth.login({ password: `wrong ${i}` }, client))).toBeInstanceOf(UnauthenticatedError);
    }
    const limited = await failure(auth.login({ password: PASSWORD }, client));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((limited as Error).message).toMatch(/Too many failed sign-ins from this address/);
    // Another address is not locked out by this one.
    expect(await auth.login({ password: PASSWORD }, { ip: "198.51.100.1" })).toHaveProperty("token");

    clock = new Date(clock.getTime() + LOGIN_LIMITS.windowMs + 1000);
    expect(await auth.login({ password: PASSWORD }, client)).toHaveProperty("token");
  });

  it("limits failed sign-ins overall, so many addresses cannot guess together", async () => {
    await auth.setPassword(PASSWORD, "test");
    for (let i = 0; i < LOGIN_LIMITS.overall; i++) {
      await failure(auth.login({ password: "wrong password" }, { ip: `10.0.${Math.floor(i / 200)}.${i % 200}` }));
    }
    expect(await failure(auth.login({ password: PASSWORD }, { ip: "192.0.2.99" }))).toBeInstanceOf(RateLimitedError);
    // `keel reset-password` is the way back in: it lifts the lockout.
    await auth.setPassword("a brand new password", "cli");
    expect(await auth.login({ password: "a brand new password" }, { ip: "192.0.2.99" })).toHaveProperty("token");
  });

  it("expires idle sessions, keeps active ones alive, and ends every session after 30 days", async () => {
    await auth.setPassword(PASSWORD, "test");
    const idle = await auth.login({ password: PASSWORD }, client);
    const active = await auth.login({ password: PASSWORD }, client);
    for (let hours = 0; hours < 48; hours += 6) {
      clock = new Date(clock.getTime() + 6 * HOUR);
      expect(await auth.session(active.token)).not.toBeNull();
    }
    expect(await auth.session(idle.token)).toBeNull();
    // The expired session is gone from the table, not just refused.
    expect(await env.database.db.session.count({ where: { tokenHash: hashToken(idle.token) } })).toBe(0);

    const signedInAt = (await env.database.db.session.findFirstOrThrow({ where: { tokenHash: hashToken(active.token) } })).createdAt;
    while (clock.getTime() + 20 * HOUR < signedInAt.getTime() + 30 * 24 * HOUR) {
      clock = new Date(clock.getTime() + 20 * HOUR);
      expect(await auth.session(active.token)).not.toBeNull();
    }
    clock = new Date(signedInAt.getTime() + 30 * 24 * HOUR + 1000);
    expect(await auth.session(active.token)).toBeNull();
  });

  it("logs out, and a password change signs out every session", async () => {
    await auth.setPassword(PASSWORD, "test");
    const a = await auth.login({ password: PASSWORD }, client);
    const b = await auth.login({ password: PASSWORD }, client);
    await auth.logout(a.token);
    expect(await auth.session(a.token)).toBeNull();
    expect(await auth.session(b.token)).not.toBeNull();
    await auth.setPassword("a different password", "cli");
    expect(await auth.session(b.token)).toBeNull();
    expect(await failure(auth.login({ password: PASSWORD }, client))).toBeInstanceOf(UnauthenticatedError);
  });

  it("applies KEEL_PASSWORD only when it differs from the stored one", async () => {
    expect(await auth.applyConfiguredPassword(PASSWORD)).toBe(true);
    const session = await auth.login({ password: PASSWORD }, client);
    expect(await auth.applyConfiguredPassword(PASSWORD)).toBe(false);
    expect(await auth.session(session.token)).not.toBeNull();
    expect(await auth.applyConfiguredPassword("changed in the environment")).toBe(true);
    expect(await auth.session(session.token)).toBeNull();
  });

  it("issues API tokens shown once, stored hashed, revocable, with last-used time", async () => {
    const created = await auth.createApiToken({ name: "zapier" });
    expect(created.token).toMatch(/^keel_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    const stored = await env.database.db.apiToken.findMany();
    expect(JSON.stringify(stored)).not.toContain(created.token);

    expect((await auth.listApiTokens())[0]).toMatchObject({ name: "zapier", lastUsedAt: null, revokedAt: null });
    clock = new Date(clock.getTime() + HOUR);
    expect(await auth.apiToken(created.token)).toEqual({ id: created.id, name: "zapier" });
    expect((await auth.listApiTokens())[0]!.lastUsedAt).toBe(clock.toISOString());
    expect(await auth.apiToken(`${created.token}x`)).toBeNull();
    expect(await auth.apiToken("not-a-keel-token")).toBeNull();

    await auth.revokeApiToken(created.id);
    expect(await auth.apiToken(created.token)).toBeNull();
    expect((await auth.listApiTokens())[0]!.revokedAt).toBe(clock.toISOString());
    expect(await failure(auth.createApiToken({ name: "  " }))).toBeTruthy();
  });

  it("writes every sign-in, failure, token change and password change to the audit log", async () => {
    await env.database.db.auditLog.deleteMany({});
    await auth.setPassword(PASSWORD, "cli");
    await failure(auth.login({ password: "wrong password" }, client));
    const session = await auth.login({ password: PASSWORD }, client);
    const token = await auth.createApiToken({ name: "ci" });
    await auth.revokeApiToken(token.id);
    await auth.logout(session.token);
    const actions = (await env.database.db.auditLog.findMany({ orderBy: { createdAt: "asc" } })).map((e) => `${e.actor} ${e.action}`);
    expect(actions).toEqual([
      "cli auth.password_set",
      "anonymous auth.login_failed",
      "operator auth.login",
      "operator token.create",
      "operator token.revoke",
      "operator auth.logout",
    ]);
  });
});
