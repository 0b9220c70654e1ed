import { Cron } from "croner";
import { NotFoundError } from "../../engine/errors";
import { isUniqueViolation, type Db } from "../../engine/store";
import { audit } from "./audit";
import { scheduleTrigger, type ScheduleConfig } from "../../nodes/triggers/schedule";
import type { RunService } from "./runs";

// Fires the Schedule triggers of published workflows. Any number of schedulers (one per
// `keel worker`) may tick against one database: every move of a trigger's ScheduleState is a
// conditional update, and every run started carries `schedule:<nodeId>:<instant>` as its
// idempotency key, so each instant starts at most one run whoever gets there first.
//
// An instant is on time when the scheduler sees it within `graceMs`; later than that it was
// missed (Keel was down): missedFire = skip drops it, runOnce starts one run for all the
// instants missed. With overlap = queue an instant that finds the previous scheduled run still
// working waits in pendingFireAt (one at most: a newer one replaces it) and starts when that
// run ends.

/** Statuses in which a run still works or may work again; a dead run waits for the operator, not the schedule. */
const ACTIVE = ["queued", "running", "waiting", "sleeping", "paused"] as const;
/** Enough to count a week of minutes; beyond it the count says "at least". */
const MAX_COUNTED = 20_000;

export const DEFAULT_GRACE_MS = 60_000;

export interface ScheduledRunInput {
  /** The instant of the schedule this run is for (ISO 8601, UTC). */
  scheduledFor: string;
  /** When the scheduler started it. */
  firedAt: string;
  /** The schedule's time zone. */
  timezone: string;
  /** Instants before this one that no run was started for (downtime, overlap skips are not counted). */
  missed: number;
}

interface Wanted {
  workflowId: string;
  nodeId: string;
  config: ScheduleConfig;
  spec: string;
}

type StateRow = { id: string; workflowId: string; nodeId: string; spec: string; nextFireAt: Date; lastFireAt: Date | null; pendingFireAt: Date | null; pausedAt: Date | null };

/** How many coming instants the schedule list shows. */
const NEXT_SHOWN = 5;

export function runKey(nodeId: string, instant: Date): string {
  return `schedule:${nodeId}:${instant.toISOString()}`;
}

export function schedulerService(db: Db, deps: { runs: RunService; now?: () => Date; graceMs?: number }) {
  const now = deps.now ?? (() => new Date());
  const graceMs = deps.graceMs ?? DEFAULT_GRACE_MS;

  // Versions are immutable, so the schedule triggers of each are read from its graph once.
  const triggersByVersion = new Map<string, Omit<Wanted, "workflowId">[]>();

  async function triggersOf(versionId: string): Promise<Omit<Wanted, "workflowId">[]> {
    const cached = triggersByVersion.get(versionId);
    if (cached) return cached;
    const version = await db.workflowVersion.findUnique({ where: { id: versionId }, select: { graph: true } });
    const nodes = (version?.graph as { nodes?: { id: string; type: string; typeVersion: number; config?: unknown }[] } | undefined)?.nodes ?? [];
    const found: Omit<Wanted, "workflowId">[] = [];
    for (const node of nodes) {
      if (node.type !== scheduleTrigger.type || node.typeVersion !== scheduleTrigger.version) continue;
      // Published graphs were validated; a config this version no longer accepts is left alone.
      const parsed = scheduleTrigger.config.safeParse(node.config ?? {});
      if (parsed.success) found.push({ nodeId: node.id, config: parsed.data, spec: `${parsed.data.cron}|${parsed.data.timezone}` });
    }
    triggersByVersion.set(versionId, found);
    return found;
  }

  async function wanted(): Promise<Wanted[]> {
    const workflows = await db.workflow.findMany({ where: { archivedAt: null, currentVersionId: { not: null } }, select: { id: true, currentVersionId: true } });
    const out: Wanted[] = [];
    for (const wf of workflows) {
      for (const trigger of await triggersOf(wf.currentVersionId!)) out.push({ ...trigger, workflowId: wf.id });
    }
    return out;
  }

  /** Another scheduled run of the workflow that still works (not the one for `key`). */
  async function busy(workflowId: string, key: string): Promise<boolean> {
    const run = await db.run.findFirst({
      where: { workflowId, trigger: "schedule", status: { in: [...ACTIVE] }, NOT: { idempotencyKey: key } },
      select: { id: true },
    });
    return run !== null;
  }

  async function fire(w: Wanted, instant: Date, missed: number, at: Date): Promise<string> {
    const input: ScheduledRunInput = { scheduledFor: instant.toISOString(), firedAt: at.toISOString(), timezone: w.config.timezone, missed };
    const run = await deps.runs.start({ workflow: w.workflowId, input, idempotencyKey: runKey(w.nodeId, instant) }, "schedule", "schedule", w.nodeId);
    return run.id;
  }

  async function advance(w: Wanted, state: StateRow, at: Date, started: string[]): Promise<void> {
    const cron = new Cron(w.config.cron, { timezone: w.config.timezone, paused: true });
    if (state.spec !== w.spec) {
      // A new version changed the schedule: it starts from now, and a queued instant of the old one is dropped.
      const next = cron.nextRun(at);
      if (next) await db.scheduleState.updateMany({ where: { id: state.id, spec: state.spec }, data: { spec: w.spec, nextFireAt: next, pendingFireAt: null } });
      return;
    }
    // Paused: nothing fires, and instants passing meanwhile are not owed (resume starts afresh).
    if (state.pausedAt) return;
    if (state.pendingFireAt && !(await busy(w.workflowId, runKey(w.nodeId, state.pendingFireAt)))) {
      started.push(await fire(w, state.pendingFireAt, 0, at));
      await db.scheduleState.updateMany({ where: { id: state.id, pendingFireAt: state.pendingFireAt }, data: { pendingFireAt: null, lastFireAt: state.pendingFireAt } });
    }
    if (state.nextFireAt > at) return;

    let latest = state.nextFireAt;
    let due = 1;
    for (let n = cron.nextRun(latest); n && n <= at && due < MAX_COUNTED; n = cron.nextRun(n)) {
      latest = n;
      due++;
    }
    const next = cron.nextRun(at);
    const onTime = at.getTime() - latest.getTime() <= graceMs;
    const instant = onTime || w.config.missedFire === "runOnce" ? latest : null;
    let fired: Date | null = null;
    let queued: Date | null = null;
    if (instant) {
      if (!(await busy(w.workflowId, runKey(w.nodeId, instant)))) {
        started.push(await fire(w, instant, due - 1, at));
        fired = instant;
      } else if (w.config.overlap === "queue") {
        queued = instant;
      }
    }
    await db.scheduleState.updateMany({
      where: { id: state.id, nextFireAt: state.nextFireAt },
      data: { nextFireAt: next ?? new Date(8.64e15), ...(fired ? { lastFireAt: fired } : {}), ...(queued ? { pendingFireAt: queued } : {}) },
    });
  }

  /** Pauses or resumes one schedule; resuming starts from its next instant after now. */
  async function setPaused(id: string, paused: boolean, actor: string) {
    const state = await db.scheduleState.findUnique({ where: { id } });
    if (!state) throw new NotFoundError(`no schedule '${id}'`);
    const at = now();
    if (paused) {
      await db.scheduleState.updateMany({ where: { id, pausedAt: null }, data: { pausedAt: at, pendingFireAt: null } });
    } else if (state.pausedAt) {
      const [cron, timezone] = state.spec.split("|");
      const next = new Cron(cron!, { timezone: timezone!, paused: true }).nextRun(at);
      await db.scheduleState.updateMany({ where: { id, pausedAt: state.pausedAt }, data: { pausedAt: null, nextFireAt: next ?? new Date(8.64e15) } });
    }
    await audit(db, { actor, action: paused ? "schedule.pause" : "schedule.resume", targetType: "workflow", targetId: state.workflowId, detail: { node: state.nodeId } });
    return list().then((all) => all.find((s) => s.id === id)!);
  }

  /** Every schedule of a published workflow: its cron, its next instants, its last fire and that run. */
  async function list() {
    const at = now();
    const states = (await db.scheduleState.findMany({ orderBy: { createdAt: "asc" }, include: { workflow: { select: { name: true } } } })) as (StateRow & { workflow: { name: string } })[];
    const lastRuns = await db.run.findMany({
      where: { OR: states.filter((s) => s.lastFireAt).map((s) => ({ workflowId: s.workflowId, idempotencyKey: runKey(s.nodeId, s.lastFireAt!) })) },
      select: { id: true, status: true, workflowId: true, idempotencyKey: true },
    });
    return states.map((s) => {
      const [cron, timezone] = s.spec.split("|") as [string, string];
      const next: string[] = [];
      if (!s.pausedAt) {
        const schedule = new Cron(cron, { timezone, paused: true });
        // The stored next instant first (it may be due this very tick), then the ones after it.
        for (let n: Date | null = s.nextFireAt > at ? s.nextFireAt : schedule.nextRun(at); n && next.length < NEXT_SHOWN; n = schedule.nextRun(n)) next.push(n.toISOString());
      }
      const lastRun = s.lastFireAt ? lastRuns.find((r) => r.workflowId === s.workflowId && r.idempotencyKey === runKey(s.nodeId, s.lastFireAt!)) : undefined;
      return {
        id: s.id,
        workflowId: s.workflowId,
        workflowName: s.workflow.name,
        nodeId: s.nodeId,
        cron,
        timezone,
        paused: s.pausedAt !== null,
        pausedAt: s.pausedAt?.toISOString() ?? null,
        next,
        lastFireAt: s.lastFireAt?.toISOString() ?? null,
        lastRun: lastRun ? { id: lastRun.id, status: lastRun.status } : null,
        pendingFireAt: s.pendingFireAt?.toISOString() ?? null,
      };
    });
  }

  return {
    list,
    pause: (id: string, actor = "operator") => setPaused(id, true, actor),
    resume: (id: string, actor = "operator") => setPaused(id, false, actor),
    /**
     * One pass: brings every schedule's state in line with the published versions and starts
     * the runs that are due. Returns the ids of the runs it started (or found started).
     */
    async tick(): Promise<{ started: string[] }> {
      const at = now();
      const list = await wanted();
      const states = (await db.scheduleState.findMany()) as StateRow[];
      const byKey = new Map(states.map((s) => [`${s.workflowId}\u0000${s.nodeId}`, s]));
      const keep = new Set(list.map((w) => `${w.workflowId}\u0000${w.nodeId}`));
      // Unpublished, archived, or gone from the current version: the schedule stops.
      const stale = states.filter((s) => !keep.has(`${s.workflowId}\u0000${s.nodeId}`)).map((s) => s.id);
      if (stale.length) await db.scheduleState.deleteMany({ where: { id: { in: stale } } });
      const started: string[] = [];
      let failure: unknown;
      for (const w of list) {
        const state = byKey.get(`${w.workflowId}\u0000${w.nodeId}`);
        if (state) {
          // One schedule failing (its workflow unpublished a moment ago) does not hold up the others.
          await advance(w, state, at, started).catch((error: unknown) => (failure ??= error));
          continue;
        }
        // A schedule seen for the first time starts with its next instant, never one in the past.
        const next = new Cron(w.config.cron, { timezone: w.config.timezone, paused: true }).nextRun(at);
        if (!next) continue;
        try {
          await db.scheduleState.create({ data: { workflowId: w.workflowId, nodeId: w.nodeId, spec: w.spec, nextFireAt: next } });
        } catch (error) {
          // Another scheduler created it at the same moment.
          if (!isUniqueViolation(error)) throw error;
        }
      }
      if (failure) throw failure;
      return { started };
    },
  };
}

export type SchedulerService = ReturnType<typeof schedulerService>;
