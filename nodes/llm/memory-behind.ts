import { templateParts } from "../../engine/expressions";

// Which memory items went into a prompt, for its provenance. Prompts read memory through
// templates: a recall step's output (`{{ recall.text }}`, `{{ recall.items }}`) or a routed
// run's context (`{{ input.context.memory }}`). The paths a template reads are followed through
// the run's data; the items of a memory carrier on that path are the ones used. A path that
// reads only a carrier's summary or query uses no item.

interface MemoryLike {
  id: string;
  text: string;
  kind: string;
}

const MAX_ITEMS = 100;
const MAX_DEPTH = 6;

const isItem = (value: unknown): value is MemoryLike =>
  !!value && typeof value === "object" && typeof (value as MemoryLike).id === "string" && typeof (value as MemoryLike).text === "string" && typeof (value as MemoryLike).kind === "string";

/** A recall result (`items`) or a routed run's context (`memory`): the array of items it carries. */
function carried(value: unknown): { field: string; items: MemoryLike[] } | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  for (const field of ["items", "memory"]) {
    const list = (value as Record<string, unknown>)[field];
    if (Array.isArray(list) && list.length > 0 && list.every(isItem)) return { field, items: list };
  }
  return null;
}

/** Every item held anywhere in a value (a template that prints a whole object prints them all). */
function allItems(value: unknown, depth = 0, out: MemoryLike[] = []): MemoryLike[] {
  if (depth > MAX_DEPTH || !value || typeof value !== "object") return out;
  const carrier = carried(value);
  if (carrier) out.push(...carrier.items);
  for (const [key, child] of Object.entries(value)) if (key !== carrier?.field) allItems(child, depth + 1, out);
  return out;
}

/** The items a path reads, walking it from `value`. */
function itemsOnPath(value: unknown, path: readonly string[]): MemoryLike[] {
  if (path.length === 0) return allItems(value);
  const carrier = carried(value);
  // `text` is a recall's items rendered for a prompt, one line each.
  if (carrier && (path[0] === carrier.field || path[0] === "text")) return carrier.items;
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  return itemsOnPath((value as Record<string, unknown>)[path[0]!], path.slice(1));
}

// A name path as JSONata reads one: `a.b.c`, not a member of something else, not a $variable.
const PATH = /(?<![\w$.`'"])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)/g;

/** The ids of the memory items the templates read from `data` (input, outputs by node id), in order, once each. */
export function memoryBehind(templates: readonly (string | undefined)[], data: Record<string, unknown>): string[] {
  const ids = new Set<string>();
  for (const template of templates) {
    if (!template?.includes("{{")) continue;
    for (const part of templateParts(template)) {
      for (const match of part.matchAll(PATH)) {
        for (const item of itemsOnPath(data, match[1]!.split("."))) {
          if (ids.size >= MAX_ITEMS) return [...ids];
          ids.add(item.id);
        }
      }
    }
  }
  return [...ids];
}
