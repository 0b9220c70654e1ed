import { z } from "zod";
import { NotFoundError } from "../../engine/errors";
import type { BudgetGate } from "../../engine/runtime/budget";
import { wakeBudgetHeldRuns } from "../../engine/runtime/prisma-store-budget";
import type { AnyNodeMeta } from "../../engine/registry";
import type { Database, Db } from "../../engine/store";
import { audit } from "./audit";
import { DAY_MS, dialectOf, num, rows, startOfDay } from "./metrics/sql";

// Daily cost caps (UTC day, cost units): one per workflow and one global. Spending is what
// completed steps recorded in the ledger today, plus Keel's own spending (memory summaries,
// embeddings) under the global cap. When a cap is reached, steps that cost are held (the
// engine's BudgetGate): their runs sleep until the next day, or until a cap is raised. Which
// steps cost is the node type's to say (NodeMeta.spends): LLM calls, HTTP calls with a price.

export const GLOBAL_SCOPE = "global";
/** The global budget's name, in the budgets list and wherever a run it holds is shown. */
export const GLOBAL_NAME = "All of Keel";

export const SetBudgetInput = z
  .object({
    /** A workflow id; absent or null: the global cap. */
    workflowId: z.string().min(1).nullish(),
    /** Cost units per UTC day; null removes the cap. */
    dailyCap: z.number().finite("must be a number").min(0, "must be 0 or more").nullable(),
  })
  .strict();

/** Steps that cost, as their node type says for this configuration: LLM calls, paid HTTP calls. */
export function costs(meta: AnyNodeMeta, config: unknown): boolean {
  try {
    return meta.spends?.(config as never) ?? false;
  } catch {
    // A configuration the node cannot read fails in its executor, with the reason; it spends nothing.
    return false;
  }
}

/** Cost units spent since the start of `now`'s UTC day: per workflow, Keel's own, and in all. */
export async function spentToday(database: Database, now: Date): Promise<{ byWorkflow: Map<string, number>; keel: number; total: number }> {
  const d = dialectOf(database);
  const q = d.query();
  const from = startOfDay(now);
  const found = await rows<{ workflowId: string; units: unknown }>(
    database,
    q,
    `SELECT r."workflowId" AS "workflowId", SUM(e."costUnits") AS "units" FROM "Effect" e JOIN "Run" r ON r."id" = e."runId"
     WHERE e."completedAt" >= ${q.time(from)} AND e."completedAt" < ${q.time(new Date(from.getTime() + DAY_MS))} AND e."costUnits" > 0
     GROUP BY r."workflowId"`,
  );
  const byWorkflow = new Map(found.map((row) => [row.workflowId, num(row.units)]));
  const keel = (await database.db.keelSpend.aggregate({ where: { createdAt: { gte: from, lt: new Date(from.getTime() + DAY_MS) } }, _sum: { costUnits: true } }))._sum.costUnits ?? 0;
  return { byWorkflow, keel, total: [...byWorkflow.values()].reduce((a, b) => a + b, 0) + keel };
}

const format = (units: number) => units.toFixed(2);

export function budgetGate(database: Database): BudgetGate {
  return {
    async check({ workflowId, meta, config, now }) {
      if (!costs(meta, config)) return null;
      const caps = await database.db.budget.findMany({ where: { scope: { in: [GLOBAL_SCOPE, workflowId] } } });
      if (caps.length === 0) return null;
      const spent = await spentToday(database, now);
      const until = new Date(startOfDay(now).getTime() + DAY_MS);
      for (const cap of caps) {
        const used = cap.scope === GLOBAL_SCOPE ? spent.total : (spent.byWorkflow.get(workflowId) ?? 0);
        if (used >= cap.dailyCap) {
          const which = cap.scope === GLOBAL_SCOPE ? "the global daily budget" : "this workflow's daily budget";
          const budget = cap.scope === GLOBAL_SCOPE ? GLOBAL_NAME : ((await database.db.workflow.findUnique({ where: { id: workflowId }, select: { name: true } }))?.name ?? workflowId);
          return { reason: "budget_exceeded", budget, detail: `${format(used)} of ${which} of ${format(cap.dailyCap)} cost units is spent today; it resumes tomorrow (UTC) or when the cap is raised.`, until };
        }
      }
      return null;
    },
  };
}

export interface KeelSpend {
  kind: "summary" | "embedding";
  costUnits: number;
  costTokens?: number;
}

/** Spending that belongs to no run (memory summaries, embeddings): Keel's own line. */
export async function recordKeelSpend(db: Db, spend: KeelSpend, at = new Date()): Promise<void> {
  if (spend.costUnits <= 0 && !spend.costTokens) return;
  await db.keelSpend.create({ data: { kind: spend.kind, costUnits: spend.costUnits, costTokens: spend.costTokens ?? 0, createdAt: at } });
}

export function budgetService(database: Database, options: { now?: () => Date } = {}) {
  const { db } = database;
  const now = options.now ?? (() => new Date());

  const wakeHeld = () => wakeBudgetHeldRuns(database, now());

  return {
    /** Every cap with what is spent against it today, and Keel's own spending. */
    async list() {
      const [caps, spent] = [await db.budget.findMany({ orderBy: { scope: "asc" } }), await spentToday(database, now())];
      const names = new Map((await db.workflow.findMany({ where: { id: { in: caps.map((c) => c.scope) } }, select: { id: true, name: true } })).map((w) => [w.id, w.name]));
      return {
        day: now().toISOString().slice(0, 10),
        keelSpentToday: spent.keel,
        totalSpentToday: spent.total,
        caps: caps.map((c) => ({
          workflowId: c.scope === GLOBAL_SCOPE ? null : c.scope,
          name: c.scope === GLOBAL_SCOPE ? GLOBAL_NAME : (names.get(c.scope) ?? "(deleted workflow)"),
          dailyCap: c.dailyCap,
          spentToday: c.scope === GLOBAL_SCOPE ? spent.total : (spent.byWorkflow.get(c.scope) ?? 0),
        })),
      };
    },
    /** Sets or removes a cap; held runs look again at once (they sleep again if still over). */
    async set(raw: unknown, actor = "operator") {
      const input = SetBudgetInput.parse(raw);
      const scope = input.workflowId ?? GLOBAL_SCOPE;
      if (scope !== GLOBAL_SCOPE && !(await db.workflow.findUnique({ where: { id: scope }, select: { id: true } }))) throw new NotFoundError(`workflowId: no workflow '${scope}'`);
      if (input.dailyCap === null) await db.budget.deleteMany({ where: { scope } });
      else await db.budget.upsert({ where: { scope }, create: { scope, dailyCap: input.dailyCap }, update: { dailyCap: input.dailyCap } });
      await audit(db, { actor, action: "budget.set", targetType: scope === GLOBAL_SCOPE ? "setting" : "workflow", targetId: scope, detail: { dailyCap: input.dailyCap } });
      return { scope, dailyCap: input.dailyCap, woken: await wakeHeld() };
    },
    /** Records spending that belongs to no run, under Keel's own line. */
    recordKeelSpend: (spend: KeelSpend) => recordKeelSpend(db, spend, now()),
  };
}
