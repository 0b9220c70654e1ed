import type { CompiledWorkflow } from "../graph/compile";
import type { Graph } from "../graph/schema";
import { isDatabaseBusy, json, orderedId, readRows, type Database, type Db } from "../store";
import { queueIfWaiting } from "./prisma-store-actions";
import { LeaseLostError, type ApprovalRecord, type EffectRecord, type LoadedRun, type NewRun, type RunRecord, type RunStore, type StartTarget, type StepCommit } from "./store";

// The runtime's store over Prisma, for SQLite and Postgres alike. Claims are single atomic
// statements (an UPDATE whose WHERE picks the run), because a read-then-write transaction
// fails across SQLite processes; Postgres adds FOR UPDATE SKIP LOCKED so workers never queue
// behind each other. A commit's first statement is the lease check, a write, so SQLite takes
// its write lock at once.

type RawRun = {
  id: string;
  workflowId: string;
  versionId: string;
  status: RunRecord["status"];
  input: unknown;
  leaseOwner: string | null;
  leaseExpiresAt: Date | string | null;
  wakeAt: Date | string | null;
  parentRunId: string | null;
  triggerNodeId: string | null;
};

const toDate = (value: Date | string | null): Date | null => (value === null ? null : value instanceof Date ? value : new Date(value));

function fromRaw(row: RawRun): RunRecord {
  return {
    ...row,
    input: typeof row.input === "string" ? JSON.parse(row.input) : row.input,
    leaseExpiresAt: toDate(row.leaseExpiresAt),
    wakeAt: toDate(row.wakeAt),
  };
}

// Prisma's defaults (2 s to start a transaction, 5 s to finish it) are too short when several
// processes share one SQLite file: a commit may wait for another process's write lock, and the
// adapter runs one transaction at a time per process.
const TX_OPTIONS = { maxWait: 20_000, timeout: 30_000 };

/** Whether a step writes more than its events, checkpoint and run update (and, if allowed, its ledger row). */
const hasExtras = (step: StepCommit, allow: { effect?: boolean } = {}) =>
  Boolean((step.effect && !allow.effect) || step.approval || step.timer || step.wakeRun || step.approvalUpdate || step.deadLetter);

/** How often a commit refused by SQLite's locking is tried in all. */
const COMMIT_ATTEMPTS = 8;

/** Another process holds the write lock (or the database was briefly busy): try again shortly. */
const isBusy = isDatabaseBusy;

/** The Setting row behind the global pause switch (value: true while paused). */
export const ENGINE_PAUSED_SETTING = "engine.paused";

const RUN_FIELDS = `"id", "workflowId", "versionId", "status", "input", "leaseOwner", "leaseExpiresAt", "wakeAt", "parentRunId", "triggerNodeId"`;

/** Everything LoadedRun needs about the run `t` (a table name or alias), as one select list. */
const LOADED_FIELDS = (t: string) =>
  `${RUN_FIELDS.split(", ").map((f) => `${t}.${f}`).join(", ")}, ${t}."startedAt", ${t}."stepOverrides",
   (SELECT w."maxRunSeconds" FROM "Workflow" w WHERE w."id" = ${t}."workflowId") AS "maxRunSeconds",
   (SELECT MAX(e."seq") FROM "RunEvent" e WHERE e."runId" = ${t}."id") AS "lastSeq",
   (SELECT c."seq" FROM "Checkpoint" c WHERE c."runId" = ${t}."id" ORDER BY c."seq" DESC LIMIT 1) AS "checkpointSeq",
   (SELECT c."snapshot" FROM "Checkpoint" c WHERE c."runId" = ${t}."id" ORDER BY c."seq" DESC LIMIT 1) AS "snapshot"`;

const LOAD_RUN_SQL = `SELECT ${LOADED_FIELDS("r")} FROM "Run" r WHERE r."id" = ?`;
type BegunRow = { key: string; status: EffectRecord["status"]; attempts: number };

type LoadedRow = RawRun & { startedAt: Date | string | null; stepOverrides: unknown; maxRunSeconds: number | null; lastSeq: number | bigint | null; checkpointSeq: number | null; snapshot: unknown };

export class PrismaRunStore implements RunStore {
  private readonly db: Db;

  constructor(private readonly database: Database) {
    this.db = database.db;
  }

  /** A timestamp as the driver adapter stores it, so SQL comparisons on SQLite's text dates hold. */
  private time(date: Date): Date | string {
    return this.database.provider === "sqlite" ? date.toISOString().replace("Z", "+00:00") : date;
  }

  /**
   * A new run, or the one its idempotency key already started, on the bare driver: starting runs
   * is a hot path (`keel run` in a loop, webhooks) and pays no Prisma query planning. The
   * run's audit entry goes in the same transaction, so a run never exists unaudited.
   */
  async createRun(input: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    const pg = this.database.provider === "postgresql";
    const p = (i: number, cast = "") => (pg ? `$${i}${cast}` : "?");
    const now = new Date();
    const at = pg ? now.toISOString() : this.time(now);
    const fields = `"id", "workflowId", "versionId", "status", "input", "leaseOwner", "leaseExpiresAt", "wakeAt", "parentRunId", "triggerNodeId"`;
    const stamp = (date: Date) => (pg ? date.toISOString() : this.time(date));
    const claim = input.claimedBy;
    const insert = {
      sql: `INSERT INTO "Run" ("id", "workflowId", "versionId", "status", "trigger", "triggerNodeId", "input", "idempotencyKey", "parentRunId", "parentNodeId", "createdAt", "updatedAt", "leaseOwner", "leaseExpiresAt", "startedAt")
       VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(12, `::"RunStatus"`)}, ${p(4)}, ${p(5)}, ${p(6, "::jsonb")}, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10, "::timestamp")}, ${p(11, "::timestamp")}, ${p(13)}, ${p(14, "::timestamp")}, ${p(15, "::timestamp")})
       ON CONFLICT ("workflowId", "idempotencyKey") DO NOTHING
       RETURNING ${fields}`,
      // SQLite binds positionally in order of appearance; Postgres by number.
      args: pg
        ? [orderedId(), input.workflowId, input.versionId, input.trigger, input.triggerNodeId ?? null, JSON.stringify(input.input ?? null), input.idempotencyKey ?? null, input.parentRunId ?? null, input.parentNodeId ?? null, at, at, claim ? "running" : "queued", claim?.workerId ?? null, claim ? stamp(new Date(claim.now.getTime() + claim.leaseMs)) : null, claim ? stamp(claim.now) : null]
        : [orderedId(), input.workflowId, input.versionId, claim ? "running" : "queued", input.trigger, input.triggerNodeId ?? null, JSON.stringify(input.input ?? null), input.idempotencyKey ?? null, input.parentRunId ?? null, input.parentNodeId ?? null, at, at, claim?.workerId ?? null, claim ? stamp(new Date(claim.now.getTime() + claim.leaseMs)) : null, claim ? stamp(claim.now) : null],
    };
    const d = input.delivery;
    const delivery = (runId: string) =>
      d!.existing
        ? { sql: `UPDATE "WebhookDelivery" SET "runId" = ${p(1)} WHERE "id" = ${p(2)}`, args: [runId, d!.id] }
        : {
            sql: `INSERT INTO "WebhookDelivery" ("id", "workflowId", "authenticatedBy", "idempotencyKey", "body", "contentType", "runId", "receivedAt") VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5, "::jsonb")}, ${p(6)}, ${p(7)}, ${p(8, "::timestamp")})`,
            args: [d!.id, input.workflowId, d!.authenticatedBy, d!.idempotencyKey, JSON.stringify(d!.body ?? null), d!.contentType, runId, at],
          };
    const existing = {
      sql: `SELECT ${fields} FROM "Run" WHERE "workflowId" = ${p(1)} AND "idempotencyKey" = ${p(2)}`,
      args: [input.workflowId, input.idempotencyKey ?? null],
    };
    const audit = (runId: string) => ({
      sql: `INSERT INTO "AuditLog" ("id", "actor", "action", "targetType", "targetId", "detail", "createdAt") VALUES (${p(1)}, ${p(2)}, 'run.start', 'run', ${p(3)}, ${p(4, "::jsonb")}, ${p(5, "::timestamp")})`,
      args: [orderedId(), input.audit!.actor, runId, JSON.stringify(input.audit!.detail), at],
    });
    const toRecord = (row: RawRun) => fromRaw({ ...row, input: typeof row.input === "string" ? JSON.parse(row.input) : row.input });
    const sqlite = this.database.sqlite;
    if (sqlite) {
      return sqlite.write(() => {
        const row = sqlite.prepare(insert.sql).get(...insert.args) as RawRun | undefined;
        if (row) {
          if (input.audit) sqlite.prepare(audit(row.id).sql).run(...audit(row.id).args);
          if (d) sqlite.prepare(delivery(row.id).sql).run(...delivery(row.id).args);
          return { run: toRecord(row), created: true };
        }
        return { run: toRecord(sqlite.prepare(existing.sql).get(...existing.args) as RawRun), created: false };
      });
    }
    const pgDirect = this.database.pg!;
    return pgDirect.transaction(async (query) => {
      const row = (await query(insert.sql, insert.args)).rows[0] as RawRun | undefined;
      if (row) {
        if (input.audit) await query(audit(row.id).sql, audit(row.id).args);
        if (d) await query(delivery(row.id).sql, delivery(row.id).args);
        return { run: toRecord(row), created: true };
      }
      return { run: toRecord((await query(existing.sql, existing.args)).rows[0] as RawRun), created: false };
    });
  }

  async startTarget(ref: string, options: { archived: boolean; graph: boolean }): Promise<StartTarget | null> {
    const pg = this.database.provider === "postgresql";
    const sql = `SELECT w."id", w."name", w."currentVersionId"${options.graph ? `, v."graph"` : ""} FROM "Workflow" w
       ${options.graph ? `LEFT JOIN "WorkflowVersion" v ON v."id" = w."currentVersionId"` : ""}
       WHERE (w."id" = ${pg ? "$1" : "?"} OR w."slug" = ${pg ? "$2" : "?"})${options.archived ? "" : ` AND w."archivedAt" IS NULL`}
       LIMIT 1`;
    type Row = { id: string; name: string; currentVersionId: string | null; graph?: unknown };
    const row = this.database.sqlite
      ? (this.database.sqlite.prepare(sql).get(ref, ref) as Row | undefined)
      : ((await this.database.pg!.query(sql, [ref, ref])).rows[0] as Row | undefined);
    if (!row) return null;
    const graph = typeof row.graph === "string" ? (JSON.parse(row.graph) as Graph) : ((row.graph ?? null) as Graph | null);
    return { id: row.id, name: row.name, versionId: row.currentVersionId, graph };
  }

  async claimRun(workerId: string, now: Date, leaseMs: number): Promise<LoadedRun | null> {
    // A claim handed back at a workflow's limit leaves other work to take: look again, briefly.
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await this.claimOnce(workerId, now, leaseMs);
      if (claimed !== "over-limit") return claimed;
    }
    return null;
  }

  private async claimOnce(workerId: string, now: Date, leaseMs: number): Promise<LoadedRun | null | "over-limit"> {
    const at = this.time(now);
    const until = this.time(new Date(now.getTime() + leaseMs));
    const cast = this.database.provider === "postgresql" ? `::"RunStatus"` : "";
    // SQLite takes positional ? (each use its own argument); Postgres numbered $n.
    const pg = this.database.provider === "postgresql";
    const [owner, lease, time] = pg ? ["$1", "$2", "$3"] : ["?", "?", "?"];
    // Nothing is claimed while the operator's global pause is on; a workflow's maxConcurrentRuns
    // holds runs back while that many of its runs are working.
    const sql = `UPDATE "Run" SET "status" = 'running'${cast}, "leaseOwner" = ${owner}, "leaseExpiresAt" = ${lease}, "startedAt" = COALESCE("startedAt", ${time}), "updatedAt" = ${time}
       WHERE "id" = (
         SELECT r."id" FROM "Run" r JOIN "Workflow" w ON w."id" = r."workflowId"
         WHERE (r."status" = 'queued'${cast}
            OR (r."status" IN ('sleeping'${cast}, 'waiting'${cast}) AND r."wakeAt" IS NOT NULL AND r."wakeAt" <= ${time})
            OR (r."status" = 'running'${cast} AND r."leaseExpiresAt" < ${time}))
           AND NOT EXISTS (SELECT 1 FROM "Setting" s WHERE s."key" = '${ENGINE_PAUSED_SETTING}' AND s."value" = 'true'${pg ? "::jsonb" : ""})
           AND (w."maxConcurrentRuns" IS NULL
             OR (SELECT COUNT(*) FROM "Run" x WHERE x."workflowId" = r."workflowId" AND x."status" = 'running'${cast} AND x."id" <> r."id") < w."maxConcurrentRuns")
         ORDER BY r."createdAt" LIMIT 1 ${pg ? "FOR UPDATE OF r SKIP LOCKED" : ""}
       )
       RETURNING ${LOADED_FIELDS('"Run"')}${pg ? `, (SELECT w."maxConcurrentRuns" FROM "Workflow" w WHERE w."id" = "Run"."workflowId") AS "maxConcurrentRuns"` : ""}`;
    let rows: (LoadedRow & { maxConcurrentRuns?: number | null })[];
    try {
      // The claim returns all a worker needs to start on the run: no second query to load it.
      const { sqlite, pg: pgDirect } = this.database;
      const args = pg ? [workerId, until, at] : [workerId, until, at, at, at, at];
      rows = sqlite
        ? await sqlite.write(() => sqlite.prepare(sql).all(...args) as LoadedRow[])
        : pgDirect
          ? ((await pgDirect.query(sql, args)).rows as LoadedRow[])
          : await this.db.$queryRawUnsafe<(LoadedRow & { maxConcurrentRuns?: number | null })[]>(sql, ...args);
    } catch (error) {
      // Another process is writing: nothing claimed this time; the worker asks again.
      if (isBusy(error)) return null;
      throw error;
    }
    const row = rows[0];
    if (!row) return null;
    const { maxConcurrentRuns, ...loaded } = row;
    if (maxConcurrentRuns && !(await this.withinLimit(row.id, row.workflowId, workerId, Number(maxConcurrentRuns)))) return "over-limit";
    return this.toLoaded(loaded);
  }

  /**
   * Postgres only. Two workers may claim runs of one workflow in the same instant, each counting
   * the other's claim as not yet running (each statement sees its own snapshot), and exceed the
   * workflow's limit. So a claim of a limited workflow is confirmed under a per-workflow lock:
   * the count is taken after the lock (a fresh snapshot, so it sees every confirmed claim), and a
   * claim over the limit is handed back. The lock serializes confirmations, so exactly the
   * limit's worth of claims stay. (SQLite needs none of this: its writers are serialized.)
   */
  private async withinLimit(runId: string, workflowId: string, workerId: string, limit: number): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext($1))::text AS "locked"`, `keel:workflow-limit:${workflowId}`);
      const [{ running }] = await tx.$queryRawUnsafe<{ running: bigint | number }[]>(
        `SELECT COUNT(*) AS "running" FROM "Run" WHERE "workflowId" = $1 AND "status" = 'running'::"RunStatus"`,
        workflowId,
      ) as [{ running: bigint | number }];
      if (Number(running) <= limit) return true;
      // Back to the queue as if never claimed: a run that never started keeps no start time.
      await tx.$executeRawUnsafe(
        `UPDATE "Run" SET "status" = 'queued'::"RunStatus", "leaseOwner" = NULL, "leaseExpiresAt" = NULL,
           "startedAt" = CASE WHEN EXISTS (SELECT 1 FROM "Checkpoint" c WHERE c."runId" = "Run"."id") THEN "startedAt" ELSE NULL END
         WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'::"RunStatus"`,
        runId,
        workerId,
      );
      return false;
    }, TX_OPTIONS);
  }

  async claimSpecific(runId: string, workerId: string, statuses: RunRecord["status"][], now: Date, leaseMs: number): Promise<LoadedRun | null> {
    const { count } = await this.db.run.updateMany({
      where: { id: runId, status: { in: statuses } },
      data: { status: "running", leaseOwner: workerId, leaseExpiresAt: new Date(now.getTime() + leaseMs) },
    });
    return count === 1 ? this.loadRun(runId) : null;
  }

  async heartbeat(runId: string, workerId: string, leaseExpiresAt: Date): Promise<boolean> {
    try {
      const { count } = await this.db.run.updateMany({ where: { id: runId, leaseOwner: workerId, status: "running" }, data: { leaseExpiresAt } });
      return count === 1;
    } catch (error) {
      // Busy is not lost: the next heartbeat (a third of the lease later) tries again.
      if (isBusy(error)) return true;
      throw error;
    }
  }

  async loadRun(runId: string): Promise<LoadedRun> {
    // One statement for the run, its workflow's limit, its last checkpoint and its last seq, on
    // the bare driver: a synchronous webhook loads its run once.
    const rows = await readRows<LoadedRow>(this.database, LOAD_RUN_SQL, [runId]);
    if (!rows[0]) throw new Error(`run ${runId} does not exist`);
    return this.toLoaded(rows[0]);
  }

  private async toLoaded(row: LoadedRow): Promise<LoadedRun> {
    const parse = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value);
    const { startedAt, stepOverrides, maxRunSeconds, lastSeq, checkpointSeq, snapshot, ...run } = row;
    const version = await this.version(run.versionId);
    return {
      run: fromRaw(run),
      graph: version.graph,
      compiled: version.compiled,
      checkpoint: checkpointSeq === null || checkpointSeq === undefined ? null : { seq: Number(checkpointSeq), snapshot: parse(snapshot) },
      nextSeq: Number(lastSeq ?? 0) + 1,
      startedAt: toDate(startedAt),
      maxRunMs: maxRunSeconds ? Number(maxRunSeconds) * 1000 : null,
      stepOverrides: (parse(stepOverrides) ?? {}) as LoadedRun["stepOverrides"],
    };
  }

  // Published versions never change, so each is read and parsed once per process (bounded).
  private readonly versions = new Map<string, { graph: Graph; compiled: CompiledWorkflow }>();

  private async version(id: string): Promise<{ graph: Graph; compiled: CompiledWorkflow }> {
    const cached = this.versions.get(id);
    if (cached) return cached;
    const row = await this.db.workflowVersion.findUniqueOrThrow({ where: { id }, select: { machine: true, hash: true, graph: true } });
    const version = { graph: row.graph as Graph, compiled: { ...(row.machine as Omit<CompiledWorkflow, "hash">), hash: row.hash } };
    if (this.versions.size >= 200) this.versions.delete(this.versions.keys().next().value!);
    this.versions.set(id, version);
    return version;
  }

  async effect(key: string): Promise<EffectRecord | null> {
    const row = await this.db.effect.findUnique({ where: { key }, select: { key: true, status: true, result: true, attempts: true } });
    return row as EffectRecord | null;
  }

  async beginEffect(input: { key: string; runId: string; nodeId: string; visit: number; nodeType: string; request: unknown }): Promise<EffectRecord> {
    const begin = this.beginStatement({ ...input, counted: true });
    const direct = this.database.sqlite;
    if (direct) return direct.write(() => this.beginOnSqlite(direct, begin, input.key));
    const rows = this.database.pg
      ? ((await this.database.pg.query(begin.sql, begin.args)).rows as BegunRow[])
      : await this.db.$queryRawUnsafe<BegunRow[]>(begin.sql, ...begin.args);
    if (rows[0]) return { key: rows[0].key, status: rows[0].status, result: null, attempts: Number(rows[0].attempts) };
    const done = await this.effect(input.key);
    if (!done) throw new Error(`effect ${input.key} was neither written nor found`);
    return done;
  }

  /**
   * One statement: a new ledger row, or one more attempt on a started/failed one; a completed row
   * is left alone (no row comes back) and read instead, so its result is replayed. Written ahead
   * (`counted: false`), a new row has 0 attempts and an existing one keeps its count.
   */
  private beginStatement(input: NonNullable<StepCommit["begin"]>): { sql: string; args: unknown[] } {
    const pg = this.database.provider === "postgresql";
    const p = (i: number, cast = "") => (pg ? `$${i}${cast}` : "?");
    const status = `'started'${pg ? `::"EffectStatus"` : ""}`;
    const sql = `INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "request", "status", "attempts", "startedAt")
       VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7, "::jsonb")}, ${status}, ${input.counted ? 1 : 0}, ${p(8, "::timestamp")})
       ON CONFLICT ("key") DO UPDATE SET "status" = ${status}, "attempts" = "Effect"."attempts"${input.counted ? " + 1" : ""}, "request" = excluded."request", "error" = NULL
       WHERE "Effect"."status" <> 'completed'${pg ? `::"EffectStatus"` : ""}
       RETURNING "key", "status", "attempts"`;
    const args = [orderedId(), input.key, input.runId, input.nodeId, input.visit, input.nodeType, JSON.stringify(input.request ?? null), pg ? new Date().toISOString() : this.time(new Date())];
    return { sql, args };
  }

  /** The begun row, or the completed one it left alone, inside a write transaction on the bare driver. */
  private beginOnSqlite(direct: NonNullable<Database["sqlite"]>, begin: { sql: string; args: unknown[] }, key: string): EffectRecord {
    const row = direct.prepare(begin.sql).get(...begin.args) as BegunRow | undefined;
    if (row) return { key: row.key, status: row.status, result: null, attempts: row.attempts };
    const done = direct.prepare(`SELECT "key", "status", "result", "attempts" FROM "Effect" WHERE "key" = ?`).get(key) as { key: string; status: EffectRecord["status"]; result: string | null; attempts: number } | undefined;
    if (!done) throw new Error(`effect ${key} was neither written nor found`);
    return { ...done, result: done.result === null ? null : JSON.parse(done.result) };
  }

  async commit(...steps: StepCommit[]): Promise<EffectRecord | null> {
    const first = steps[0];
    if (!first) return null;
    const now = new Date();
    const statements = this.stepStatements(steps, now);
    const usual = steps.every((step) => !hasExtras(step, { effect: true }));
    const direct = usual ? this.database.sqlite : undefined;
    const pgDirect = usual ? this.database.pg : undefined;
    // The next step's ledger row, when it rides on this commit (last, after this step's own).
    const beginning = steps.find((step) => step.begin)?.begin;
    const begin = beginning ? this.beginStatement(beginning) : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        if (direct) {
          // SQLite, the usual step (events, checkpoints, its ledger row): one synchronous
          // transaction on the bare driver; a lost lease throws inside it and rolls it back.
          const effects = steps.flatMap((step) => (step.effect ? [this.effectStatement(step.effect, now)] : []));
          return await direct.write(() => {
            const [lease, ...writes] = statements;
            if (direct.prepare(lease!.sql).run(...lease!.args).changes !== 1) throw new LeaseLostError(first.runId);
            for (const write of writes) direct.prepare(write.sql).run(...write.args);
            for (const effect of effects) if (direct.prepare(effect.sql).run(...effect.args).changes !== 1) throw new Error(`no ledger row ${String(effect.args.at(-1))} to settle`);
            return begin ? this.beginOnSqlite(direct, begin, beginning!.key) : null;
          });
        }
        if (pgDirect) {
          // Postgres, the usual step: one transaction of prepared statements on the bare driver.
          const effects = steps.flatMap((step) => (step.effect ? [this.effectStatement(step.effect, now)] : []));
          const row = await pgDirect.transaction(async (query) => {
            const [lease, ...writes] = statements;
            if ((await query(lease!.sql, lease!.args)).rowCount !== 1) throw new LeaseLostError(first.runId);
            for (const write of writes) await query(write.sql, write.args);
            for (const effect of effects) if ((await query(effect.sql, effect.args)).rowCount !== 1) throw new Error(`no ledger row ${String(effect.args.at(-1))} to settle`);
            return begin ? (((await query(begin.sql, begin.args)).rows[0] as BegunRow | undefined) ?? "completed") : null;
          });
          return row === "completed" ? this.effect(beginning!.key) : row && { key: row.key, status: row.status, result: null, attempts: Number(row.attempts) };
        }
        const row = await this.db.$transaction(async (tx) => {
          const [lease, ...writes] = statements;
          const count = await tx.$executeRawUnsafe(lease!.sql, ...lease!.args);
          if (count !== 1) throw new LeaseLostError(first.runId);
          for (const write of writes) await tx.$executeRawUnsafe(write.sql, ...write.args);
          for (const step of steps) await this.commitExtras(tx, step, now);
          return begin ? ((await tx.$queryRawUnsafe<BegunRow[]>(begin.sql, ...begin.args))[0] ?? "completed") : null;
        }, TX_OPTIONS);
        // A completed row was left alone: read it (its result is replayed), after the commit.
        return row === "completed" ? this.effect(beginning!.key) : row && { key: row.key, status: row.status, result: null, attempts: Number(row.attempts) };
      } catch (error) {
        // SQLite refuses a transaction whose snapshot went stale (SQLITE_BUSY_SNAPSHOT: the
        // adapter lets another query of this process read inside it before its first write, and
        // another process committed meanwhile) without waiting; it rolled back, so try again.
        if (!isBusy(error) || attempt >= COMMIT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, attempt * 20 + Math.random() * 20));
      }
    }
  }

  /**
   * The hot part of a commit as plain SQL: the lease check (which also applies the run's
   * changes), the events and the checkpoints. Every step writes these, and Prisma would plan
   * each multi-row insert anew; the rest of a commit stays with Prisma (commitExtras).
   */
  private stepStatements(steps: StepCommit[], now: Date): { sql: string; args: unknown[] }[] {
    const first = steps[0]!;
    const pg = this.database.provider === "postgresql";
    // An ISO string cast to timestamp keeps UTC whatever the server's or this process's zone.
    const ts = (date: Date) => (pg ? date.toISOString() : this.time(date));
    const at = ts(now);
    const jsonArg = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
    // Rows travel as one JSON parameter: Prisma's cost grows with the number of parameters.
    const rows = (table: string, columns: Record<string, "text" | "int" | "json" | "timestamp">, values: Record<string, unknown>[]) => {
      const names = Object.keys(columns);
      const list = names.map((c) => `"${c}"`).join(", ");
      if (!pg) return { sql: `INSERT INTO "${table}" (${list}) SELECT ${names.map((c) => `value ->> '${c}'`).join(", ")} FROM json_each(?)`, args: [JSON.stringify(values)] };
      const picks = names.map((c) => (columns[c] === "json" ? `x."${c}"::jsonb` : columns[c] === "timestamp" ? `x."${c}"::timestamp` : `x."${c}"`));
      const shape = names.map((c) => `"${c}" ${columns[c] === "int" ? "int" : "text"}`).join(", ");
      return { sql: `INSERT INTO "${table}" (${list}) SELECT ${picks.join(", ")} FROM jsonb_to_recordset($1::jsonb) AS x(${shape})`, args: [JSON.stringify(values)] };
    };

    // Only the last step of a batch changes the run (earlier ones are pure steps that were
    // deferred), but costs add up across all of them.
    const run = Object.assign({}, ...steps.map((s) => s.run ?? {})) as NonNullable<StepCommit["run"]>;
    const costTokens = steps.reduce((sum, s) => sum + (s.run?.costTokens ?? 0), 0);
    const costUnits = steps.reduce((sum, s) => sum + (s.run?.costUnits ?? 0), 0);
    const sets: string[] = [];
    const args: unknown[] = [];
    const set = (column: string, value: unknown, cast = "") => {
      args.push(value);
      sets.push(`"${column}" = ${pg ? `$${args.length}${cast}` : "?"}`);
    };
    set("updatedAt", at, "::timestamp");
    if (run.status) set("status", run.status, `::"RunStatus"`);
    if (run.output !== undefined) set("output", jsonArg(run.output), "::jsonb");
    if (run.error !== undefined) set("error", jsonArg(run.error), "::jsonb");
    if (run.wakeAt !== undefined) set("wakeAt", run.wakeAt ? ts(run.wakeAt) : null, "::timestamp");
    if (run.finished) set("finishedAt", at, "::timestamp");
    if (costTokens) {
      args.push(costTokens);
      sets.push(`"costTokens" = "costTokens" + ${pg ? `$${args.length}` : "?"}`);
    }
    if (costUnits) {
      args.push(costUnits);
      sets.push(`"costUnits" = "costUnits" + ${pg ? `$${args.length}` : "?"}`);
    }
    if (steps.some((s) => s.release)) sets.push(`"leaseOwner" = NULL`, `"leaseExpiresAt" = NULL`);
    args.push(first.runId, first.workerId);
    const where = pg ? `"id" = $${args.length - 1} AND "leaseOwner" = $${args.length} AND "status" = 'running'::"RunStatus"` : `"id" = ? AND "leaseOwner" = ? AND "status" = 'running'`;
    const statements = [{ sql: `UPDATE "Run" SET ${sets.join(", ")} WHERE ${where}`, args }];

    const events = steps.flatMap((step) =>
      step.events.map((event, i) => ({ id: orderedId(), runId: step.runId, seq: step.firstSeq + i, type: event.type, nodeId: event.nodeId ?? null, payload: jsonArg(event.payload), createdAt: at })),
    );
    if (events.length) statements.push(rows("RunEvent", { id: "text", runId: "text", seq: "int", type: "text", nodeId: "text", payload: "json", createdAt: "timestamp" }, events));
    const checkpoints = steps.flatMap((step) =>
      step.checkpoint
        ? [{ id: orderedId(), runId: step.runId, seq: step.firstSeq + step.events.length - 1, snapshot: JSON.stringify(step.checkpoint.snapshot), machineHash: step.checkpoint.machineHash, createdAt: at }]
        : [],
    );
    if (checkpoints.length) statements.push(rows("Checkpoint", { id: "text", runId: "text", seq: "int", snapshot: "json", machineHash: "text", createdAt: "timestamp" }, checkpoints));
    const notifications = steps.flatMap((step) =>
      (step.notifications ?? []).map((n) => ({ id: n.id ?? orderedId(), kind: n.kind, title: n.title, body: n.body, link: n.link, runId: step.runId, createdAt: at })),
    );
    if (notifications.length) statements.push(rows("Notification", { id: "text", kind: "text", title: "text", body: "text", link: "text", runId: "text", createdAt: "timestamp" }, notifications));
    return statements;
  }

  /** A step's ledger row settled, as the bare driver runs it (commitExtras does it through Prisma). */
  private effectStatement(effect: NonNullable<StepCommit["effect"]>, now: Date): { sql: string; args: unknown[] } {
    const pg = this.database.provider === "postgresql";
    const sets: string[] = [];
    const args: unknown[] = [];
    const set = (column: string, value: unknown, cast = "") => {
      args.push(value);
      sets.push(`"${column}" = ${pg ? `$${args.length}${cast}` : "?"}`);
    };
    set("status", effect.status, `::"EffectStatus"`);
    if (effect.result !== undefined) set("result", JSON.stringify(effect.result), "::jsonb");
    if (effect.error !== undefined) set("error", JSON.stringify(effect.error), "::jsonb");
    if (effect.status === "completed") set("completedAt", pg ? now.toISOString() : this.time(now), "::timestamp");
    if (effect.costTokens) set("costTokens", effect.costTokens);
    if (effect.costUnits) set("costUnits", effect.costUnits);
    if (effect.attemptNotCounted) sets.push(`"attempts" = "attempts" - 1`);
    if (effect.countAttempt) sets.push(`"attempts" = "attempts" + 1`);
    args.push(effect.key);
    return { sql: `UPDATE "Effect" SET ${sets.join(", ")} WHERE "key" = ${pg ? `$${args.length}` : "?"}`, args };
  }

  /** The rarer parts of a step: its ledger row, approvals, timers, dead letters. */
  private async commitExtras(tx: Parameters<Parameters<Db["$transaction"]>[0]>[0], step: StepCommit, now: Date): Promise<void> {
    if (step.effect) {
      await tx.effect.update({
        where: { key: step.effect.key },
        data: {
          status: step.effect.status,
          ...(step.effect.result !== undefined ? { result: json(step.effect.result) } : {}),
          ...(step.effect.error !== undefined ? { error: json(step.effect.error) } : {}),
          ...(step.effect.status === "completed" ? { completedAt: now } : {}),
          ...(step.effect.costTokens ? { costTokens: step.effect.costTokens } : {}),
          ...(step.effect.costUnits ? { costUnits: step.effect.costUnits } : {}),
          ...(step.effect.attemptNotCounted ? { attempts: { decrement: 1 } } : {}),
          ...(step.effect.countAttempt ? { attempts: { increment: 1 } } : {}),
        },
      });
    }
    if (step.approval) {
      await tx.approval.create({
        data: { ...(step.approval.id ? { id: step.approval.id } : {}), runId: step.runId, nodeId: step.approval.nodeId, visit: step.approval.visit, packet: json(step.approval.packet), risk: step.approval.risk, deadlineAt: step.approval.deadlineAt },
      });
    }
    if (step.timer) {
      await tx.timer.upsert({
        where: { key: step.timer.key },
        create: { key: step.timer.key, kind: step.timer.kind, runId: step.runId, nodeId: step.timer.nodeId, fireAt: step.timer.fireAt },
        update: {},
      });
    }
    if (step.wakeRun) {
      await queueIfWaiting(tx, step.wakeRun);
    }
    if (step.approvalUpdate) {
      await tx.approval.updateMany({
        where: { id: step.approvalUpdate.id, status: "pending" },
        data: { status: step.approvalUpdate.status, decidedBy: step.approvalUpdate.decidedBy, decidedAt: now },
      });
    }
    if (step.deadLetter) {
      await tx.deadLetter.create({ data: { runId: step.runId, nodeId: step.deadLetter.nodeId, packet: json(step.deadLetter.packet) } });
    }
  }

  async release(runId: string, workerId: string): Promise<void> {
    await this.db.run.updateMany({ where: { id: runId, leaseOwner: workerId, status: "running" }, data: { status: "queued", leaseOwner: null, leaseExpiresAt: null } });
  }

  async approval(runId: string, nodeId: string, visit: number): Promise<ApprovalRecord | null> {
    const row = await this.db.approval.findUnique({
      where: { runId_nodeId_visit: { runId, nodeId, visit } },
      select: { id: true, runId: true, nodeId: true, visit: true, status: true, editedData: true, packet: true, decidedBy: true, deadlineAt: true },
    });
    return row as ApprovalRecord | null;
  }

  async fireTimer(key: string, now: Date): Promise<boolean> {
    const { count } = await this.db.timer.updateMany({ where: { key, firedAt: null, fireAt: { lte: now } }, data: { firedAt: now } });
    return count === 1;
  }

  async timer(key: string): Promise<{ fireAt: Date; firedAt: Date | null } | null> {
    return this.db.timer.findUnique({ where: { key }, select: { fireAt: true, firedAt: true } });
  }

  async lastNodeEvent(runId: string, nodeId: string): Promise<string | null> {
    const row = await this.db.runEvent.findFirst({ where: { runId, nodeId }, orderBy: { seq: "desc" }, select: { type: true } });
    return row?.type ?? null;
  }

  async nodeFailures(runId: string, nodeId: string): Promise<{ attempt: number; error: unknown }[]> {
    const rows = await this.db.runEvent.findMany({ where: { runId, nodeId, type: "node.failed" }, orderBy: { seq: "asc" }, select: { payload: true } });
    return rows.map((r) => r.payload as { attempt: number; error: unknown });
  }

  async requeueIfDecided(runId: string): Promise<boolean> {
    // Decided approvals whose node the run has not passed yet have no approval.* event after them.
    const decided = await this.db.approval.findMany({ where: { runId, status: { not: "pending" } }, select: { nodeId: true, visit: true } });
    if (decided.length === 0) return false;
    const acted = await this.db.runEvent.findMany({
      where: { runId, type: { in: ["approval.approved", "approval.rejected"] } },
      select: { nodeId: true },
    });
    const actedCount = new Map<string, number>();
    for (const e of acted) actedCount.set(e.nodeId ?? "", (actedCount.get(e.nodeId ?? "") ?? 0) + 1);
    const pending = decided.some((a) => (actedCount.get(a.nodeId) ?? 0) < a.visit);
    if (!pending) return false;
    return queueIfWaiting(this.db, runId);
  }

  async startChildRun(input: { parentRunId: string; parentNodeId: string; workflow: string; input: unknown; key: string }): Promise<{ id: string } | null> {
    const wf = await this.startTarget(input.workflow, { archived: false, graph: false });
    if (!wf?.versionId) return null;
    const { run } = await this.createRun({
      workflowId: wf.id,
      versionId: wf.versionId,
      input: input.input,
      idempotencyKey: input.key,
      trigger: "subworkflow",
      parentRunId: input.parentRunId,
      parentNodeId: input.parentNodeId,
    });
    return { id: run.id };
  }

  async childRun(key: string): Promise<{ id: string; status: RunRecord["status"]; output: unknown; error: unknown } | null> {
    return this.db.run.findFirst({ where: { idempotencyKey: key, trigger: "subworkflow" }, select: { id: true, status: true, output: true, error: true } });
  }

  async requeue(runId: string): Promise<boolean> {
    return queueIfWaiting(this.db, runId);
  }
}
