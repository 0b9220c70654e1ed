import type { ExecutionContext, StepResult } from "../../engine/registry";
import type { Db } from "../../engine/store";
import { renderIn } from "../expression-data";
import type { notifyOperatorNode } from "./operator";

type Config = ReturnType<(typeof notifyOperatorNode)["config"]["parse"]>;

/** In-app notifications; one per step (a repeated step finds the one it left). */
export function notifyExecutor(db: Db) {
  return async function notify(ctx: ExecutionContext<Config>): Promise<StepResult> {
    const kind = `step:${ctx.idempotencyKey}`;
    const existing = await db.notification.findFirst({ where: { kind, runId: ctx.runId } });
    if (existing) return { port: "out", output: { notificationId: existing.id } };
    const c = (await renderIn(ctx, ctx.config)) as Config;
    const row = await db.notification.create({
      data: { kind, title: String(c.title), body: String(c.body ?? ""), link: c.link ? String(c.link) : null, runId: ctx.runId },
    });
    return { port: "out", output: { notificationId: row.id } };
  };
}
