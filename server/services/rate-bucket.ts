import { ThrottledError } from "../../engine/errors";
import type { Db } from "../../engine/store";

// A token bucket per credential, kept in the Credential row so every worker shares it. A take
// reads the bucket, computes the refill, and writes back with a compare-and-set on rateVersion:
// one conditional UPDATE, atomic on SQLite and Postgres alike. Of two workers that read the same
// state, exactly one write lands; the other reads again.

export interface RateLimit {
  capacity: number;
  refillPerSecond: number;
}

/** A compare-and-set that keeps losing means heavy contention: the step waits briefly instead. */
const MAX_ROUNDS = 25;

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

/** Takes one token from the credential's bucket; ok when there was none to take (no limit set). */
export async function takeToken(db: Db, name: string, now: () => number = Date.now): Promise<Take> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const row = await db.credential.findUnique({ where: { name }, select: { rateCapacity: true, rateRefillPerSecond: true, rateTokens: true, rateAt: true, rateVersion: true } });
    if (!row || row.rateCapacity === null || row.rateRefillPerSecond === null) return { ok: true };
    const at = now();
    const capacity = row.rateCapacity;
    const refill = row.rateRefillPerSecond;
    // A fresh bucket starts full; time running backwards (another worker's clock) adds nothing.
    const elapsed = row.rateAt === null ? Infinity : Math.max(0, at - row.rateAt);
    const available = Math.min(capacity, (row.rateTokens ?? capacity) + (elapsed * refill) / 1000);
    if (available < 1) return { ok: false, retryAfterMs: Math.ceil(((1 - available) / refill) * 1000) };
    const { count } = await db.credential.updateMany({
      where: { name, rateVersion: row.rateVersion },
      data: { rateTokens: available - 1, rateAt: Math.max(at, row.rateAt ?? at), rateVersion: { increment: 1 } },
    });
    if (count === 1) return { ok: true };
  }
  return { ok: false, retryAfterMs: 100 };
}

/** Throws a ThrottledError naming the credential when its bucket is empty. */
export async function takeTokenOrWait(db: Db, name: string, now?: () => number): Promise<void> {
  const take = await takeToken(db, name, now);
  if (!take.ok) {
    throw new ThrottledError(`credential: '${name}' is rate limited; the next request may go in ${Math.max(1, Math.round(take.retryAfterMs))} ms`, take.retryAfterMs);
  }
}
