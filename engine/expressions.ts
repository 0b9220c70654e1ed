import jsonata from "jsonata";

// Expressions in node configuration: JSONata (an interpreter, never eval) for conditions and
// transforms, and `{{ expression }}` templates inside strings. Parsed at validation time, so a
// typo is reported when the operator saves, not when a run reaches the node.

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;

export interface ParseProblem {
  message: string;
  /** Character offset inside the source, when JSONata reports one. */
  position?: number;
}

// jsonata() parses and also builds an evaluation environment (~80 µs); an editor validates the
// same expressions on every save, and a run evaluates them on every visit. Compiled expressions
// are reusable (each evaluate() gets a fresh frame), so keep recent ones, bounded.
const CACHE_LIMIT = 5_000;
const cache = new Map<string, jsonata.Expression | ParseProblem>();

function compiled(source: string): jsonata.Expression | ParseProblem {
  const hit = cache.get(source);
  if (hit) {
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  let entry: jsonata.Expression | ParseProblem;
  try {
    entry = jsonata(source);
  } catch (error) {
    const e = error as { message?: string; position?: number };
    entry = { message: e.message ?? "does not parse", ...(typeof e.position === "number" ? { position: e.position } : {}) };
  }
  cache.set(source, entry);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return entry;
}

const isProblem = (entry: jsonata.Expression | ParseProblem): entry is ParseProblem => "message" in entry && !("evaluate" in entry);

/** For benchmarks that measure cold parsing. */
export function clearExpressionCache(): void {
  cache.clear();
}

export function parseJsonata(source: string): ParseProblem | undefined {
  if (source.trim() === "") return { message: "is empty" };
  const entry = compiled(source);
  return isProblem(entry) ? entry : undefined;
}

/** The `{{ … }}` parts of a template string. */
export function templateParts(source: string): string[] {
  return [...source.matchAll(TEMPLATE)].map((m) => m[1]!.trim());
}

export function parseTemplate(source: string): ParseProblem | undefined {
  const opens = source.split("{{").length - 1;
  const closes = source.split("}}").length - 1;
  if (opens !== closes) return { message: "has an unclosed {{ … }}" };
  for (const part of templateParts(source)) {
    const problem = parseJsonata(part);
    if (problem) return { message: `{{ ${part} }}: ${problem.message}` };
  }
  return undefined;
}

export async function evaluate(source: string, data: unknown): Promise<unknown> {
  const entry = compiled(source);
  if (isProblem(entry)) throw new Error(`expression does not parse: ${entry.message}`);
  return entry.evaluate(data);
}

/** Renders a template; a string that is exactly one {{ expr }} keeps the value's type. */
export async function renderTemplate(source: string, data: unknown): Promise<unknown> {
  const parts = [...source.matchAll(TEMPLATE)];
  if (parts.length === 1 && parts[0]![0] === source) return evaluate(parts[0]![1]!.trim(), data);
  let out = "";
  let last = 0;
  for (const match of source.matchAll(TEMPLATE)) {
    out += source.slice(last, match.index);
    const value = await evaluate(match[1]!.trim(), data);
    out += value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
    last = match.index! + match[0].length;
  }
  return out + source.slice(last);
}

/** Every string in a config value with its dotted path, for template scanning. */
export function stringsIn(value: unknown, path = ""): { path: string; value: string }[] {
  if (typeof value === "string") return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, path ? `${path}.${i}` : String(i)));
  if (value && typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => stringsIn(v, path ? `${path}.${k}` : k));
  }
  return [];
}

/** What expressions see in a run: `input`, `outputs.<nodeId>`, and each node's output by its id. */
export function runData(input: unknown, outputs: Record<string, unknown>): Record<string, unknown> {
  return { ...outputs, input, outputs };
}

/** Renders every {{ }} template inside a value (strings, arrays, objects). */
export async function renderValue(value: unknown, data: unknown): Promise<unknown> {
  if (typeof value === "string") return value.includes("{{") ? renderTemplate(value, data) : value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => renderValue(v, data)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderValue(v, data);
    return out;
  }
  return value;
}
