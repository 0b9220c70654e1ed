import type { Db } from "../../engine/store";

// The memory items behind a model's output: an LLM step names the items its prompt read in
// `output.provenance.memory` (nodes/llm/memory-behind.ts). The replay's step panel and the
// approval queue's "why" both show them, each linked to the replay step that wrote it.

export interface MemoryItemLink {
  id: string;
  kind: string;
  text: string;
  subject: string | null;
  /** The run and step that wrote the item, when a run did. */
  runId: string | null;
  nodeId: string | null;
  /** The replay at the step that wrote it; null when no run wrote it or that run is gone. */
  href: string | null;
  /** The item was deleted (forgotten, expired and swept) after the step read it. */
  gone: boolean;
}

/** The memory item ids an LLM step's output names; [] for any other output. */
export function memoryIdsOf(output: unknown): string[] {
  const ids = (output as { provenance?: { memory?: unknown } } | null | undefined)?.provenance?.memory;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string").slice(0, 100) : [];
}

/** The items with these ids, in the order given; an id no longer stored comes back marked gone. */
export async function memoryItemLinks(db: Db, ids: readonly string[]): Promise<MemoryItemLink[]> {
  const wanted = [...new Set(ids)].slice(0, 200);
  if (wanted.length === 0) return [];
  const rows = await db.memoryItem.findMany({
    where: { id: { in: wanted } },
    select: { id: true, kind: true, text: true, runId: true, nodeId: true, subject: { select: { kind: true, key: true } } },
  });
  // The step that wrote each item: the first completion of its node in its run.
  const writers = rows.filter((r) => r.runId && r.nodeId);
  const steps = writers.length
    ? await db.runEvent.findMany({
        where: { OR: writers.map((r) => ({ runId: r.runId!, nodeId: r.nodeId!, type: "node.completed" })) },
        orderBy: { seq: "asc" },
        select: { runId: true, nodeId: true, seq: true },
      })
    : [];
  const seqOf = new Map<string, number>();
  for (const s of steps) if (!seqOf.has(`${s.runId}\u0000${s.nodeId}`)) seqOf.set(`${s.runId}\u0000${s.nodeId}`, s.seq);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return wanted.map((id) => {
    const row = byId.get(id);
    if (!row) return { id, kind: "", text: "", subject: null, runId: null, nodeId: null, href: null, gone: true };
    const seq = row.runId && row.nodeId ? seqOf.get(`${row.runId}\u0000${row.nodeId}`) : undefined;
    return {
      id,
      kind: row.kind,
      text: row.text.slice(0, 500),
      subject: row.subject ? `${row.subject.kind}:${row.subject.key}` : null,
      runId: row.runId,
      nodeId: row.nodeId,
      href: row.runId ? `/runs/${encodeURIComponent(row.runId)}${seq !== undefined ? `?step=${seq}` : ""}` : null,
      gone: false,
    };
  });
}
