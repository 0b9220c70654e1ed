import { evaluate, renderValue, runData } from "../engine/expressions";
import type { ExecutionContext } from "../engine/registry";

export function expressionData(ctx: Pick<ExecutionContext, "data">): Record<string, unknown> {
  return runData(ctx.data.input, ctx.data.outputs);
}

export function evaluateIn(ctx: Pick<ExecutionContext, "data">, expression: string): Promise<unknown> {
  return evaluate(expression, expressionData(ctx));
}

export function renderIn(ctx: Pick<ExecutionContext, "data">, value: unknown): Promise<unknown> {
  return renderValue(value, expressionData(ctx));
}
