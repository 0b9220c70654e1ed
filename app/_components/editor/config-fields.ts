import { z } from "zod";
import type { AnyNodeMeta } from "../../../engine/registry";

// The fields of a node type's config form, read from its zod schema (as JSON Schema, which
// zod produces itself), so a new node type gets its form without editor changes.

export type FieldKind = "enum" | "text" | "jsonata" | "template" | "number" | "boolean" | "credential" | "json";

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  required: boolean;
  options?: string[];
  defaultValue?: unknown;
  /** The descriptor's help for this field (zod `.meta({ description })`, see nodes/define.ts withHelp). */
  description?: string;
  /** Values the panel offers to insert with one click. */
  examples?: unknown[];
  multiline?: boolean;
  /** For `credential` fields: the kinds of credential that fit; empty = any. */
  credentialKinds?: string[];
  /** For a credential nested in an object (`auth: { credential }`). */
  nested?: string;
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  examples?: unknown[];
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

/**
 * Which credential kinds a node type's credential field takes. The executors check the kind
 * when they open the credential; this only narrows the picker.
 */
const CREDENTIAL_KINDS: Record<string, string[]> = { "http.request": ["bearer", "basic", "header"], "email.send": ["smtp"], "notify.operator": ["smtp"] };

const cache = new WeakMap<AnyNodeMeta, FieldSpec[]>();

export function configFields(meta: AnyNodeMeta): FieldSpec[] {
  const known = cache.get(meta);
  if (known) return known;
  let schema: JsonSchema;
  try {
    schema = z.toJSONSchema(meta.config, { io: "input", unrepresentable: "any" }) as JsonSchema;
  } catch {
    schema = {};
  }
  const required = new Set(schema.required ?? []);
  const properties = Object.entries(schema.properties ?? {});
  // Which string fields hold expressions: ask the descriptor about a config whose strings all look like templates.
  const probe: Record<string, unknown> = {};
  for (const [name, p] of properties) if (p.type === "string" && !p.enum) probe[name] = "{{ x }}";
  // The other fields at their defaults: a descriptor may read one (approval@2 reads autonomy.mode).
  for (const [name, p] of properties) if (!(name in probe) && p.default !== undefined) probe[name] = p.default;
  let kinds = new Map<string, "jsonata" | "template">();
  try {
    kinds = new Map(meta.expressions(probe).map((f) => [f.path.split(".")[0]!, f.kind]));
  } catch {
    // A descriptor that needs a fully parsed config: its strings stay plain text fields.
  }
  const fields = properties.map(([name, p]): FieldSpec => {
    const base = { name, required: required.has(name) && p.default === undefined, ...(p.default !== undefined ? { defaultValue: p.default } : {}), ...(p.description ? { description: p.description } : {}), ...(p.examples?.length ? { examples: p.examples } : {}) };
    if (name === "credential" && p.type === "string") return { ...base, kind: "credential", credentialKinds: CREDENTIAL_KINDS[meta.type] ?? [] };
    if (p.type === "object" && p.properties?.credential && Object.keys(p.properties).length === 1) {
      return { ...base, kind: "credential", nested: "credential", credentialKinds: CREDENTIAL_KINDS[meta.type] ?? [] };
    }
    if (p.enum) return { ...base, kind: "enum", options: p.enum.map(String) };
    if (p.type === "string") {
      const kind = kinds.get(name);
      return { ...base, kind: kind ?? "text", multiline: (p.maxLength ?? 0) > 500 };
    }
    if (p.type === "number" || p.type === "integer") return { ...base, kind: "number" };
    if (p.type === "boolean") return { ...base, kind: "boolean" };
    return { ...base, kind: "json" };
  });
  cache.set(meta, fields);
  return fields;
}

/** "timeoutSeconds" → "Timeout seconds". */
export function fieldLabel(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
