import type { ExecutionContext, StepResult } from "../../engine/registry";
import type { Db } from "../../engine/store";
import type { SmtpSecret } from "../../infra/mail/smtp";
import { renderIn } from "../expression-data";
import { absoluteLink, emailOperator } from "../../infra/mail/operator-email";
import type { notifyOperatorNode } from "./operator";

type Config = ReturnType<(typeof notifyOperatorNode)["config"]["parse"]>;

/**
 * In-app notifications, one per step (a repeated step finds the one it left), and with
 * `email: true` an email to the operator's address (Settings), once per step as well.
 */
export function notifyExecutor(deps: { db: Db; publicUrl?: string | undefined }) {
  const { db } = deps;
  return async function notify(ctx: ExecutionContext<Config>): Promise<StepResult> {
    const kind = `step:${ctx.idempotencyKey}`;
    const c = (await renderIn(ctx, ctx.config)) as Config;
    const existing = await db.notification.findFirst({ where: { kind, runId: ctx.runId } });
    const row =
      existing ??
      (await db.notification.create({
        data: { kind, title: String(c.title), body: String(c.body ?? ""), link: c.link ? String(c.link) : null, runId: ctx.runId },
      }));
    if (!ctx.config.email) return { port: "out", output: { notificationId: row.id } };
    const link = absoluteLink(row.link, deps.publicUrl);
    // The SMTP credential is opened through the engine, which redacts it from what the step stores.
    const credential = ctx.credential;
    const smtp = credential ? async (name: string) => (await credential(name, ["smtp"])).secret as unknown as SmtpSecret : undefined;
    const email = await emailOperator({ ...deps, smtp }, {
      key: `${ctx.idempotencyKey}:email`,
      subject: row.title,
      text: [row.body, link ? `Open it in Keel:\n${link}` : ""].filter(Boolean).join("\n\n"),
      runId: ctx.runId,
      nodeId: ctx.nodeId,
    });
    return { port: "out", output: { notificationId: row.id, email } };
  };
}
