import type { z } from "zod";
import type { ExpressionField, NodeBehavior, NodeCategory, NodeMeta, PortSpec, RetryPolicy, RiskLevel } from "../engine/registry";

// One defineNode per node type and version: the browser-safe half (everything the palette,
// the config form, validation and the compiler read). Executors are the server-only half
// (nodes/executors.ts), keyed by the same descriptors.

export const IN: PortSpec = { id: "in", label: "in" };
export const OUT: PortSpec = { id: "out", label: "out" };

export const NO_RETRY: RetryPolicy = { attempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 1, timeoutMs: 30_000 };
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 1_000, maxDelayMs: 5 * 60_000, factor: 2, timeoutMs: 30_000 };

interface Definition<S extends z.ZodType> {
  type: string;
  version: number;
  title: string;
  category: NodeCategory;
  description: string;
  icon: string;
  behavior: NodeBehavior;
  config: S;
  inputs?: PortSpec[];
  outputs?: PortSpec[] | ((config: z.output<S>) => PortSpec[]);
  errorPort?: boolean;
  retry?: RetryPolicy;
  risk?: RiskLevel;
  expressions?: (config: z.output<S>) => ExpressionField[];
  /** Defaults to "executor" for tasks and loops, "engine" for everything else. */
  execution?: "executor" | "engine";
  /** Defaults to "external": a node is pure only when it says so. */
  effects?: "none" | "external";
  /** Capabilities the server must provide (e.g. "llm"); checked when publishing. */
  requires?: readonly string[];
  /** Whether a step with this configuration spends money; budgets hold those (see NodeMeta.spends). */
  spends?: (config: z.output<S>) => boolean;
  /** A branch taken through `port` only when the server has `capability` (see NodeMeta.guards). */
  guards?: { capability: string; port: string };
  deprecated?: boolean;
}

export function defineNode<S extends z.ZodType>(def: Definition<S>): NodeMeta<z.output<S>> {
  const outputs = def.outputs ?? [OUT];
  return {
    type: def.type,
    version: def.version,
    title: def.title,
    category: def.category,
    description: def.description,
    icon: def.icon,
    behavior: def.behavior,
    config: def.config as unknown as z.ZodType<z.output<S>>,
    inputs: def.inputs ?? [IN],
    outputs: typeof outputs === "function" ? outputs : () => outputs,
    errorPort: def.errorPort ?? false,
    retry: def.retry ?? NO_RETRY,
    risk: def.risk ?? "low",
    expressions: def.expressions ?? (() => []),
    execution: def.execution ?? (def.behavior === "task" || def.behavior === "loop" ? "executor" : "engine"),
    effects: def.effects ?? "external",
    ...(def.requires?.length ? { requires: def.requires } : {}),
    ...(def.spends ? { spends: def.spends } : {}),
    ...(def.guards ? { guards: def.guards } : {}),
    ...(def.deprecated ? { deprecated: true } : {}),
  };
}

/**
 * A config field's help (shown under it in the config panel, and in the published JSON Schema)
 * and example values the panel offers to insert. Kept on the zod schema itself, so the form,
 * the schema and the help cannot drift apart.
 */
export function withHelp<S extends z.ZodType>(schema: S, help: string, examples?: readonly z.input<S>[]): S {
  return schema.meta(examples?.length ? { description: help, examples: [...examples] } : { description: help }) as S;
}

/** Template fields: every string in the given config value that contains {{ … }}. */
export function templatesIn(value: unknown, prefix: string): ExpressionField[] {
  const out: ExpressionField[] = [];
  const at = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  const walk = (v: unknown, path: string) => {
    if (typeof v === "string") {
      if (v.includes("{{")) out.push({ path, source: v, kind: "template" });
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, at(path, i)));
    else if (v && typeof v === "object") for (const [k, item] of Object.entries(v)) walk(item, at(path, k));
  };
  walk(value, prefix);
  return out;
}
