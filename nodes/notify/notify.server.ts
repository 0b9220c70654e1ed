import { capability, type ExecutionContext, type StepResult } from "../../engine/registry";
import { renderIn } from "../expression-data";
import type { notifyOperatorNode } from "./operator";

type Config = ReturnType<(typeof notifyOperatorNode)["config"]["parse"]>;

/** notify.operator over ctx.notifications: one notification per step, with `email: true` emailed once as well. */
export async function notifyExecutor(ctx: ExecutionContext<Config>): Promise<StepResult> {
  const notifications = capability(ctx, "notifications");
  const c = (await renderIn(ctx, ctx.config)) as Config;
  const output = await notifications.notify(
    { key: ctx.idempotencyKey, runId: ctx.runId, nodeId: ctx.nodeId, title: String(c.title), body: String(c.body ?? ""), link: c.link ? String(c.link) : null, email: ctx.config.email },
    // The SMTP credential is opened through the engine, which redacts it from what the step stores.
    ctx.credential,
    ctx.writes,
  );
  return { port: "out", output };
}
