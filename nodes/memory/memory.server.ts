import { PermanentError } from "../../engine/errors";
import type { ExecutionContext, StepResult } from "../../engine/registry";
import type { Db } from "../../engine/store";
import { renderIn } from "../expression-data";
import type { rememberNode } from "./remember";

type RememberConfig = ReturnType<(typeof rememberNode)["config"]["parse"]>;

/** Memory items in the database, with provenance; the index in Chroma is built from these. */
export function memoryExecutors(db: Db) {
  return {
    async remember(ctx: ExecutionContext<RememberConfig>): Promise<StepResult> {
      const existing = await db.memoryItem.findUnique({ where: { sourceKey: ctx.idempotencyKey }, include: { subject: true } });
      if (existing) return { port: "out", output: { itemId: existing.id, subject: `${existing.subject!.kind}:${existing.subject!.key}` } };
      const c = (await renderIn(ctx, ctx.config)) as RememberConfig;
      const subject = String(c.subject);
      const colon = subject.indexOf(":");
      const kind = subject.slice(0, colon);
      const key = subject.slice(colon + 1).trim();
      if (!key) throw new PermanentError(`subject: '${subject}' has an empty key after rendering`);
      const text = String(c.text).trim();
      if (!text) throw new PermanentError("text: is empty after rendering");
      const row = await db.memorySubject.upsert({ where: { kind_key: { kind, key } }, create: { kind, key, name: key }, update: {} });
      const item = await db.memoryItem.create({ data: { subjectId: row.id, kind: c.kind, text, runId: ctx.runId, nodeId: ctx.nodeId, sourceKey: ctx.idempotencyKey } });
      return { port: "out", output: { itemId: item.id, subject: `${kind}:${key}` } };
    },
  };
}
