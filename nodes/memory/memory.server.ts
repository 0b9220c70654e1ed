import { PermanentError } from "../../engine/errors";
import { capability, type ExecutionContext, type StepResult } from "../../engine/registry";
import { renderIn } from "../expression-data";
import type { recallNode } from "./recall";
import type { rememberNode } from "./remember";

type RememberConfig = ReturnType<(typeof rememberNode)["config"]["parse"]>;
type RecallConfig = ReturnType<(typeof recallNode)["config"]["parse"]>;

/** memory.remember and memory.recall, over ctx.memory. */
export const memoryExecutors = {
  async remember(ctx: ExecutionContext<RememberConfig>): Promise<StepResult> {
    const memory = capability(ctx, "memory");
    const c = (await renderIn(ctx, ctx.config)) as RememberConfig;
    const text = String(c.text).trim();
    if (!text) throw new PermanentError("text: is empty after rendering");
    const item = await memory.remember({ sourceKey: ctx.idempotencyKey, subject: String(c.subject), kind: c.kind, text, runId: ctx.runId, nodeId: ctx.nodeId }, ctx.signal);
    return { port: "out", output: item };
  },

  async recall(ctx: ExecutionContext<RecallConfig>): Promise<StepResult> {
    const memory = capability(ctx, "memory");
    const c = (await renderIn(ctx, { query: ctx.config.query, subject: ctx.config.subject })) as { query: string; subject?: string };
    const query = String(c.query).trim();
    if (!query) throw new PermanentError("query: is empty after rendering");
    const result = await memory.recall({ query, subject: c.subject === undefined ? undefined : String(c.subject), kinds: ctx.config.kinds, topK: ctx.config.topK, minScore: ctx.config.minScore }, ctx.signal);
    // `text` is the same, ready for a prompt: the summary, then one line per item.
    const text = [result.summary ? `Summary: ${result.summary.text}` : "", ...result.items.map((item) => `- ${item.text}`)].filter(Boolean).join("\n");
    const { subject, ...found } = result;
    return { port: "out", output: { ...found, text, query, ...(subject ? { subject } : {}) } };
  },
};
