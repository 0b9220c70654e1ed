import { z } from "zod";
import { NotFoundError, ValidationError } from "../../engine/errors";
import { compileGraph, validateGraph } from "../../engine/graph";
import type { NodeExecutor, NodeRegistry } from "../../engine/registry";
import { backtestRun, type BacktestOutcome, type RecordedRun } from "../../engine/runtime/backtest";
import type { Db } from "../../engine/store";

// Backtest before publishing: the draft over the last N real runs of the workflow, every
// effect answered from what those runs recorded (engine/runtime/backtest.ts), so no call is
// made; the runs whose path or output would change are listed.

export const BacktestInput = z.object({
  id: z.string().min(1),
  runs: z.number().int().min(1, "must be at least 1").max(200, "must be at most 200").default(20),
});

export function backtestService(db: Db, deps: { registry: NodeRegistry; executors: () => ReadonlyMap<string, NodeExecutor> }) {
  async function recorded(runId: string, base: { input: unknown; triggerNodeId: string | null; status: string; output: unknown }): Promise<RecordedRun> {
    const [events, effects, approvals] = await Promise.all([
      db.runEvent.findMany({ where: { runId, type: "node.entered" }, orderBy: { seq: "asc" }, select: { nodeId: true } }),
      db.effect.findMany({ where: { runId, status: "completed" }, select: { nodeId: true, visit: true, result: true } }),
      db.approval.findMany({ where: { runId, status: { not: "pending" } }, select: { nodeId: true, visit: true, status: true, editedData: true, packet: true } }),
    ]);
    return {
      id: runId,
      ...base,
      path: events.flatMap((e) => (e.nodeId ? [e.nodeId] : [])),
      effects: new Map(effects.map((e) => [`${e.nodeId}:${e.visit}`, e.result as { port: string; output: unknown }])),
      approvals: new Map(
        approvals.map((a) => [
          `${a.nodeId}:${a.visit}`,
          { status: a.status as "approved" | "rejected" | "expired", editedData: a.editedData, proposal: (a.packet as { proposal?: unknown } | null)?.proposal },
        ]),
      ),
    };
  }

  return {
    async run(raw: z.input<typeof BacktestInput>) {
      const input = BacktestInput.parse(raw);
      const wf = await db.workflow.findUnique({ where: { id: input.id }, select: { id: true, name: true, draftGraph: true } });
      if (!wf) throw new NotFoundError(`no workflow '${input.id}'`);
      const result = validateGraph(wf.draftGraph, deps.registry);
      if (!result.ok) {
        const first = result.problems[0]!;
        throw new ValidationError(`'${wf.name}' cannot be backtested: ${first.path}: ${first.message}`, result.problems.map((p) => ({ path: p.path, message: p.message })));
      }
      const compiled = compileGraph(result.graph, deps.registry);
      const runs = await db.run.findMany({
        where: { workflowId: wf.id, test: false, status: { notIn: ["queued"] } },
        orderBy: { createdAt: "desc" },
        take: input.runs,
        select: { id: true, input: true, triggerNodeId: true, status: true, output: true, createdAt: true },
      });
      const executors = deps.executors();
      const outcomes: (BacktestOutcome & { createdAt: string })[] = [];
      for (const run of runs) {
        const outcome = await backtestRun(result.graph, compiled, await recorded(run.id, run), { registry: deps.registry, executors });
        outcomes.push({ ...outcome, createdAt: run.createdAt.toISOString() });
      }
      return {
        total: outcomes.length,
        same: outcomes.filter((o) => o.result === "same").length,
        // Runs whose path or output would change, and runs the recorded data cannot answer.
        flagged: outcomes.filter((o) => o.result !== "same"),
      };
    },
  };
}

export type BacktestService = ReturnType<typeof backtestService>;
