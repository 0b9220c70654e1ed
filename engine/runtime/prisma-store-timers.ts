import { isUniqueViolation, type Db } from "../store";
import { REMIND_SUFFIX, remindVisit, timerKey } from "./run-refs";

// Timers the server's notifier works through (reminders before a deadline, a claim on each
// email). Exactly once across notifiers rests on conditional updates of these rows.

export interface DueReminder {
  id: string;
  runId: string;
  nodeId: string;
  visit: number;
}

/** Reminder timers due at `at` and not fired yet (malformed ones are left out). */
export async function dueReminders(db: Db, at: Date, take = 100): Promise<DueReminder[]> {
  const rows = await db.timer.findMany({ where: { kind: "notification", firedAt: null, fireAt: { lte: at }, key: { endsWith: REMIND_SUFFIX } }, take, select: { id: true, key: true, runId: true, nodeId: true } });
  return rows.flatMap((t) => {
    const visit = remindVisit(t.key);
    return t.runId && t.nodeId && visit ? [{ id: t.id, runId: t.runId, nodeId: t.nodeId, visit }] : [];
  });
}

/** Drops a timer that has nothing left to do (the approval was decided); fired ones stay. */
export async function dropTimer(db: Db, id: string): Promise<void> {
  await db.timer.deleteMany({ where: { id, firedAt: null } });
}

export async function markTimerFired(db: Db, id: string, at: Date): Promise<boolean> {
  const { count } = await db.timer.updateMany({ where: { id, firedAt: null }, data: { firedAt: at } });
  return count === 1;
}

/**
 * Claims sending the email of one notification: the first caller creates the claim; a claim
 * older than `staleMs` (its sender died before recording the message) may be taken over.
 */
export async function claimMail(db: Db, notificationId: string, at: Date, staleMs: number): Promise<boolean> {
  const key = timerKey({ kind: "mail", notificationId });
  try {
    await db.timer.create({ data: { key, kind: "notification", fireAt: at, firedAt: at } });
    return true;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const { count } = await db.timer.updateMany({ where: { key, firedAt: { lt: new Date(at.getTime() - staleMs) } }, data: { firedAt: at } });
  return count === 1;
}
