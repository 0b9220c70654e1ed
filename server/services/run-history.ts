import { z } from "zod";
import type { CompiledWorkflow } from "../../engine/graph/compile";
import type { Graph } from "../../engine/graph/schema";
import { NotFoundError, ValidationError } from "../../engine/errors";
import type { Database } from "../../engine/store";
import { budgetHoldOf, RUN_PAUSED_EVENT } from "../../engine/runtime/budget";
import { RUN_STATUSES } from "../../engine/runtime/run-status";
import { memoryIdsOf, memoryItemLinks } from "./memory-provenance";
import { runInputForm } from "./trigger-input";

// Read side of run history: the runs list and everything the replay view loads. Writes to runs
// stay in the run store and server/services/runs.ts; nothing here changes a row.


export const RunListInput = z.object({
  workflowId: z.string().min(1).optional(),
  versionId: z.string().min(1).optional(),
  status: z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length).optional(),
  /** Test runs are the editor's (the run's `test` flag); real runs are every other. */
  kind: z.enum(["test", "real"]).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  /** Text searched for in the run's input and output (their JSON). */
  search: z.string().trim().min(1).max(200).optional(),
  /** The `createdAt|id` of the last row of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(1_000).default(200),
});

export const EventPageInput = z.object({
  id: z.string().min(1),
  afterSeq: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(5_000).default(2_000),
});

export interface ReplayEvent {
  seq: number;
  type: string;
  nodeId: string | null;
  payload: unknown;
  tombstone: string | null;
  at: string;
}


export function runHistoryService(database: Database) {
  const db = database.db;

  /**
   * The sleeping runs among these that a budget holds (their last event is a budget's
   * run.paused), with the budget's name: the lists show them as held, not as plain sleeping.
   */
  async function budgetHolds(runs: readonly { id: string; status: string }[]): Promise<Map<string, NonNullable<ReturnType<typeof budgetHoldOf>>>> {
    const sleeping = runs.filter((r) => r.status === "sleeping").map((r) => r.id);
    if (sleeping.length === 0) return new Map();
    const [last, paused] = await Promise.all([
      db.runEvent.groupBy({ by: ["runId"], where: { runId: { in: sleeping } }, _max: { seq: true } }),
      db.runEvent.findMany({ where: { runId: { in: sleeping }, type: RUN_PAUSED_EVENT }, orderBy: { seq: "desc" }, select: { runId: true, seq: true, type: true, payload: true } }),
    ]);
    const lastSeq = new Map(last.map((l) => [l.runId, l._max.seq]));
    const holds = new Map<string, NonNullable<ReturnType<typeof budgetHoldOf>>>();
    for (const event of paused) {
      if (holds.has(event.runId) || lastSeq.get(event.runId) !== event.seq) continue;
      const hold = budgetHoldOf(event);
      if (hold) holds.set(event.runId, hold);
    }
    return holds;
  }

  return {
    /** One page of runs, newest first, with the filters the runs list offers. */
    async list(raw: z.input<typeof RunListInput>) {
      const input = RunListInput.parse(raw);
      const cursor = input.cursor ? parseCursor(input.cursor) : null;
      const matching = input.search ? await searchRunIds(database, input.search) : null;
      const rows = await db.run.findMany({
        where: {
          ...(input.workflowId ? { workflowId: input.workflowId } : {}),
          ...(input.versionId ? { versionId: input.versionId } : {}),
          ...(input.status?.length ? { status: { in: input.status } } : {}),
          ...(input.kind ? { test: input.kind === "test" } : {}),
          ...(input.from || input.to ? { createdAt: { ...(input.from ? { gte: new Date(input.from) } : {}), ...(input.to ? { lte: new Date(input.to) } : {}) } } : {}),
          ...(matching ? { id: { in: matching } } : {}),
          ...(cursor ? { OR: [{ createdAt: { lt: cursor.at } }, { createdAt: cursor.at, id: { lt: cursor.id } }] } : {}),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit + 1,
        select: {
          id: true,
          status: true,
          trigger: true,
          test: true,
          createdAt: true,
          finishedAt: true,
          costTokens: true,
          costUnits: true,
          workflow: { select: { id: true, name: true } },
          version: { select: { id: true, number: true } },
        },
      });
      const page = rows.slice(0, input.limit);
      const last = page.at(-1);
      const holds = await budgetHolds(page);
      return {
        runs: page.map((r) => ({
          id: r.id,
          status: r.status,
          /** The budget holding this sleeping run, by name; null when none does. */
          heldBy: holds.get(r.id)?.budget ?? null,
          trigger: r.trigger,
          test: r.test,
          workflowId: r.workflow.id,
          workflowName: r.workflow.name,
          versionId: r.version.id,
          version: r.version.number,
          createdAt: r.createdAt.toISOString(),
          finishedAt: r.finishedAt?.toISOString() ?? null,
          costTokens: r.costTokens,
          costUnits: r.costUnits,
        })),
        nextCursor: rows.length > input.limit && last ? `${last.createdAt.toISOString()}|${last.id}` : null,
      };
    },

    /** The current status of some runs (the rows a list shows), for live updates. */
    async statuses(ids: readonly string[]) {
      const rows = await db.run.findMany({ where: { id: { in: [...ids] } }, select: { id: true, status: true, finishedAt: true } });
      const holds = await budgetHolds(rows);
      return Object.fromEntries(rows.map((r) => [r.id, { status: r.status, heldBy: holds.get(r.id)?.budget ?? null, finishedAt: r.finishedAt?.toISOString() ?? null }]));
    },

    /** The Run button's form: the published version's manual trigger and its input schema. */
    async inputForm(workflow: string) {
      const form = await runInputForm(db, workflow);
      if (!form) throw new NotFoundError(`no workflow '${workflow}'`);
      return form;
    },

    /** Workflows and their versions, for the list's filters. */
    async filters() {
      const workflows = await db.workflow.findMany({
        orderBy: { name: "asc" },
        select: { id: true, name: true, versions: { orderBy: { number: "desc" }, select: { id: true, number: true } } },
      });
      return { workflows };
    },

    /**
     * Everything the replay view needs besides the events themselves: the run, its pinned
     * version (graph and compiled machine), where its checkpoints are, its effects, approvals,
     * child runs and open dead letter. Events and checkpoint snapshots load in pages.
     */
    async replay(id: string) {
      const run = await db.run.findUnique({
        where: { id },
        select: {
          id: true,
          status: true,
          trigger: true,
          input: true,
          output: true,
          error: true,
          createdAt: true,
          finishedAt: true,
          costTokens: true,
          costUnits: true,
          parentRunId: true,
          parentNodeId: true,
          originRunId: true,
          originSeq: true,
          workflow: { select: { id: true, name: true } },
          version: { select: { id: true, number: true, graph: true, machine: true, hash: true } },
        },
      });
      if (!run) throw new NotFoundError(`no run '${id}'`);
      const [eventCount, checkpointSeqs, effects, approvals, children, deadLetter, tombstoned, memoryItems] = await Promise.all([
        db.runEvent.count({ where: { runId: id } }),
        db.checkpoint.findMany({ where: { runId: id }, orderBy: { seq: "asc" }, select: { seq: true } }),
        db.effect.findMany({
          where: { runId: id },
          orderBy: { startedAt: "asc" },
          select: { key: true, nodeId: true, visit: true, nodeType: true, status: true, request: true, result: true, error: true, attempts: true, costTokens: true, costUnits: true, startedAt: true, completedAt: true },
        }),
        db.approval.findMany({ where: { runId: id }, orderBy: { createdAt: "asc" }, select: { id: true, nodeId: true, visit: true, status: true, decidedBy: true, decidedAt: true, comment: true, editedData: true } }),
        db.run.findMany({ where: { parentRunId: id }, orderBy: { createdAt: "asc" }, select: { id: true, parentNodeId: true, status: true } }),
        db.deadLetter.findFirst({ where: { runId: id, status: "open" }, orderBy: { createdAt: "desc" }, select: { id: true, nodeId: true } }),
        db.runEvent.count({ where: { runId: id, tombstone: { not: null } } }),
        db.memoryItem.findMany({ where: { runId: id }, orderBy: { createdAt: "asc" }, take: 200, select: { id: true, nodeId: true, kind: true, text: true, subject: { select: { kind: true, key: true } } } }),
      ]);
      const compiled: CompiledWorkflow = { ...(run.version.machine as Omit<CompiledWorkflow, "hash">), hash: run.version.hash };
      // The items LLM steps read into their prompts, wherever they came from.
      const memoryUsed = await memoryItemLinks(db, effects.flatMap((e) => memoryIdsOf((e.result as { output?: unknown } | null)?.output)));
      const hold = (await budgetHolds([run])).get(run.id) ?? null;
      return {
        run: {
          id: run.id,
          status: run.status,
          /** The budget holding this sleeping run (name, why, until when); null when none does. */
          heldBy: hold,
          trigger: run.trigger,
          input: run.input,
          output: run.output,
          error: run.error,
          createdAt: run.createdAt.toISOString(),
          finishedAt: run.finishedAt?.toISOString() ?? null,
          costTokens: run.costTokens,
          costUnits: run.costUnits,
          parentRunId: run.parentRunId,
          parentNodeId: run.parentNodeId,
          originRunId: run.originRunId,
          originSeq: run.originSeq,
          workflowId: run.workflow.id,
          workflowName: run.workflow.name,
          versionId: run.version.id,
          version: run.version.number,
        },
        graph: run.version.graph as Graph,
        compiled,
        eventCount,
        checkpointSeqs: checkpointSeqs.map((c) => c.seq),
        /** Retention replaced this run's payloads with tombstones: the skeleton cannot be verified. */
        pruned: tombstoned > 0,
        effects: effects.map((e) => ({ ...e, startedAt: e.startedAt.toISOString(), completedAt: e.completedAt?.toISOString() ?? null })),
        approvals: approvals.map((a) => ({ ...a, decidedAt: a.decidedAt?.toISOString() ?? null })),
        children: children.map((c) => ({ id: c.id, nodeId: c.parentNodeId, status: c.status })),
        openDeadLetter: deadLetter,
        memoryItems: memoryItems.map((m) => ({ id: m.id, nodeId: m.nodeId, kind: m.kind, text: m.text.slice(0, 500), subject: m.subject ? `${m.subject.kind}:${m.subject.key}` : null })),
        /** The memory items named by LLM steps' provenance (each step's `output.provenance.memory`), by id. */
        memoryUsed,
      };
    },

    /** Events in seq order after `afterSeq`; the replay loads a long log in pages. */
    async eventPage(raw: z.input<typeof EventPageInput>): Promise<{ events: ReplayEvent[]; nextAfterSeq: number | null }> {
      const input = EventPageInput.parse(raw);
      const rows = await db.runEvent.findMany({
        where: { runId: input.id, seq: { gt: input.afterSeq } },
        orderBy: { seq: "asc" },
        take: input.limit,
        select: { seq: true, type: true, nodeId: true, payload: true, tombstone: true, createdAt: true },
      });
      const events = rows.map((r) => ({ seq: r.seq, type: r.type, nodeId: r.nodeId, payload: r.payload, tombstone: r.tombstone, at: r.createdAt.toISOString() }));
      return { events, nextAfterSeq: rows.length === input.limit ? rows.at(-1)!.seq : null };
    },

    /** Stored checkpoints (seq and snapshot) after `afterSeq`, for the replay's verification. */
    async checkpointPage(raw: z.input<typeof EventPageInput>) {
      const input = EventPageInput.parse(raw);
      const rows = await db.checkpoint.findMany({
        where: { runId: input.id, seq: { gt: input.afterSeq } },
        orderBy: { seq: "asc" },
        take: input.limit,
        select: { seq: true, snapshot: true },
      });
      return { checkpoints: rows, nextAfterSeq: rows.length === input.limit ? rows.at(-1)!.seq : null };
    },
  };
}

export type RunHistoryService = ReturnType<typeof runHistoryService>;

function parseCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = cursor.split("|");
  const date = new Date(at ?? "");
  if (!id || Number.isNaN(date.getTime())) throw new ValidationError("cursor: is not one this list handed out", [{ path: "cursor", message: "is not a cursor of this list" }]);
  return { at: date, id };
}

/** Ids of runs whose input or output JSON contains the text, case-insensitively on both databases. */
async function searchRunIds(database: Database, text: string): Promise<string[]> {
  const pg = database.provider === "postgresql";
  const pattern = `%${JSON.stringify(text).slice(1, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const test = ["input", "output"].map((c) => (pg ? `"${c}"::text ILIKE $1 ESCAPE '\\'` : `"${c}" LIKE ? ESCAPE '\\'`)).join(" OR ");
  const rows = await database.db.$queryRawUnsafe<{ id: string }[]>(`SELECT "id" FROM "Run" WHERE ${test} LIMIT 10000`, ...(pg ? [pattern] : [pattern, pattern]));
  return rows.map((r) => r.id);
}
