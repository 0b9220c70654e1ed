import { evaluate, renderTemplate } from "../engine/expressions";
import type { ExecutionContext } from "../engine/registry";

// What JSONata sees: `input`, `outputs.<nodeId>`, and for convenience every node's output under
// its own id at the top level too (`shape.total` as well as `outputs.shape.total`).
export function expressionData(ctx: Pick<ExecutionContext, "data">): Record<string, unknown> {
  return { ...ctx.data.outputs, input: ctx.data.input, outputs: ctx.data.outputs };
}

export function evaluateIn(ctx: Pick<ExecutionContext, "data">, expression: string): Promise<unknown> {
  return evaluate(expression, expressionData(ctx));
}

/** Renders every {{ }} template inside a config value (strings, arrays, objects). */
export async function renderIn(ctx: Pick<ExecutionContext, "data">, value: unknown): Promise<unknown> {
  if (typeof value === "string") return value.includes("{{") ? renderTemplate(value, expressionData(ctx)) : value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => renderIn(ctx, v)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderIn(ctx, v);
    return out;
  }
  return value;
}
