import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RateLimitedError, UnauthenticatedError } from "../../engine/errors";
import { authService, LOGIN_LIMITS } from "../../server/auth/service";
import { databaseKinds, migratedDatabase } from "../support/databases";

// The sign-in limits under a flood of parallel guesses. "Compared" is counted from the audit
// log: `auth.login_failed` is written only after a password was actually checked.

const PASSWORD = "correct horse battery staple";
const DEVICE_KEY = "a device-cookie signing key of at least 32 characters";
const FLOOD = 1_000;

describe.each(databaseKinds())("sign-in limits under a parallel flood on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let auth: ReturnType<typeof authService>;

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
    await db.auditLog.deleteMany({});
    auth = authService(db, { sessionTtlMs: 3_600_000, deviceKey: DEVICE_KEY });
    await auth.setPassword(PASSWORD, "test");
  });

  const compared = () => env.database.db.auditLog.count({ where: { action: "auth.login_failed" } });

  /** Guesses one after another, each from a fresh address, until `n` have been tried. */
  async function sequential(n: number, client: (i: number) => { ip: string; device?: string }) {
    for (let i = 0; i < n; i++) await auth.login({ password: `sequential guess ${i}` }, client(i)).catch(() => undefined);
  }

  async function flood(client: (i: number) => { ip: string; device?: string }) {
    const results = await Promise.allSettled(Array.from({ length: FLOOD }, (_, i) => auth.login({ password: `wrong guess ${i}` }, client(i))));
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const reason = (result as PromiseRejectedResult).reason;
      expect(reason instanceof RateLimitedError || reason instanceof UnauthenticatedError, String(reason)).toBe(true);
    }
  }

  it("compares at most 5 passwords from one address", async () => {
    await flood(() => ({ ip: "203.0.113.7" }));
    expect(await compared()).toBeLessThanOrEqual(LOGIN_LIMITS.perIp);
    // Refused guesses do not use up the allowance: one after another, exactly 5 are compared.
    await sequential(20, () => ({ ip: "203.0.113.7" }));
    expect(await compared()).toBe(LOGIN_LIMITS.perIp);
  }, 120_000);

  it("compares at most 50 passwords overall from 1,000 addresses, at most 5 from each", async () => {
    await flood((i) => ({ ip: `10.${i % 7}.${Math.floor(i / 250)}.${i % 250}` }));
    expect(await compared()).toBeLessThanOrEqual(LOGIN_LIMITS.overall);
    await sequential(80, (i) => ({ ip: `172.16.0.${i}` }));
    expect(await compared()).toBe(LOGIN_LIMITS.overall);
    const perIp = await env.database.db.loginAttempt.groupBy({ by: ["ip"], _count: { _all: true } });
    expect(Math.max(...perIp.map((row) => row._count._all))).toBeLessThanOrEqual(LOGIN_LIMITS.perIp);
  }, 120_000);

  it("gives a forged device cookie no extra allowance", async () => {
    const genuine = await auth.login({ password: PASSWORD }, { ip: "198.51.100.1" });
    expect(genuine.device).toMatch(/\S+\.\S+/);
    const [id] = genuine.device.split(".");
    const forgeries = [`${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, `someone-else.${genuine.device.split(".")[1]}`, "not a cookie"];
    await flood((i) => ({ ip: `10.1.${Math.floor(i / 250)}.${i % 250}`, device: forgeries[i % forgeries.length] }));
    expect(await compared()).toBeLessThanOrEqual(LOGIN_LIMITS.overall);
    await sequential(80, (i) => ({ ip: `172.16.1.${i}`, device: forgeries[i % forgeries.length] }));
    expect(await compared()).toBe(LOGIN_LIMITS.overall);
    // Once the overall limit is reached, a forged cookie is refused without a comparison.
    const before = await compared();
    for (const device of forgeries) {
      expect(await auth.login({ password: "wrong once more" }, { ip: "192.0.2.50", device }).catch((e: unknown) => e)).toBeInstanceOf(RateLimitedError);
    }
    expect(await compared()).toBe(before);
  }, 120_000);

  it("lets the operator sign in from a device that signed in before, while strangers are locked out", async () => {
    const earlier = await auth.login({ password: PASSWORD }, { ip: "198.51.100.1" });
    await flood((i) => ({ ip: `10.2.${Math.floor(i / 250)}.${i % 250}` }));
    await sequential(80, (i) => ({ ip: `172.16.2.${i}` }));
    // A stranger (and a new device) is refused now ...
    expect(await auth.login({ password: PASSWORD }, { ip: "192.0.2.99" }).catch((e: unknown) => e)).toBeInstanceOf(RateLimitedError);
    // ... but the device that signed in before has its own allowance, even from the flooded address.
    const again = await auth.login({ password: PASSWORD }, { ip: "10.2.0.1", device: earlier.device });
    expect(await auth.session(again.token)).not.toBeNull();
  }, 120_000);

  it("limits guesses from a known device too, separately from strangers", async () => {
    const earlier = await auth.login({ password: PASSWORD }, { ip: "198.51.100.1" });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => auth.login({ password: `wrong ${i}` }, { ip: `10.3.0.${i % 250}`, device: earlier.device })),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(await compared()).toBeLessThanOrEqual(LOGIN_LIMITS.perDevice);
    await sequential(20, (i) => ({ ip: `172.16.3.${i}`, device: earlier.device }));
    expect(await compared()).toBe(LOGIN_LIMITS.perDevice);
    // The strangers' allowance was not used up by the device's guesses.
    await expect(auth.login({ password: PASSWORD }, { ip: "192.0.2.7" })).resolves.toHaveProperty("token");
  }, 120_000);
});
