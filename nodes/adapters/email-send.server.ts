import { PermanentError } from "../../engine/errors";
import { capability, type ExecutionContext, type StepResult } from "../../engine/registry";
import { renderIn } from "../expression-data";
import type { emailSendNode } from "./email-send";

type Config = ReturnType<(typeof emailSendNode)["config"]["parse"]>;

/** email.send over ctx.mail: one message per step, its Message-ID from the step's idempotency key. */
export async function emailExecutor(ctx: ExecutionContext<Config>): Promise<StepResult> {
  const mail = capability(ctx, "mail");
  const c = (await renderIn(ctx, ctx.config)) as Config;
  const to = String(c.to);
  if (!to.split(",").every((address) => /^[^\s@]+@[^\s@]+$/.test(address.trim()))) throw new PermanentError(`to: '${to}' is not a list of email addresses`);
  const output = await mail.send(
    { key: ctx.idempotencyKey, runId: ctx.runId, nodeId: ctx.nodeId, to, subject: String(c.subject), text: String(c.text ?? ""), html: c.html ? String(c.html) : null },
    // Opened through the engine, which redacts the password from whatever this step stores.
    { credential: c.credential ? String(c.credential) : undefined, ifMissing: c.ifCredentialMissing, resolve: ctx.credential },
  );
  return { port: "out", output };
}
