import { stepKey } from "../../engine/runtime/run-refs";
import type { Db } from "../../engine/store";

// The dead-letter inbox: each open dead letter with its review packet and what the page needs
// to act on it: the workflow, the step (label, type, config to edit), the error kind to group
// by, the idempotency key a plain retry reuses and the new key a retry with edits would use,
// and the event where the run died, for the replay link (`/runs/<id>?step=<seq>`).

interface Packet {
  node?: string;
  visit?: number;
  input?: unknown;
  outputsSoFar?: unknown;
  attempts?: { attempt: number; error: unknown }[];
  likelyCause?: string;
}

interface GraphNodeLite {
  id: string;
  type: string;
  typeVersion: number;
  label?: string;
  config: Record<string, unknown>;
}

export async function deadLetterInbox(db: Db) {
  const rows = await db.deadLetter.findMany({
    where: { status: "open" },
    orderBy: { createdAt: "asc" },
    take: 1_000,
    select: {
      id: true,
      runId: true,
      nodeId: true,
      packet: true,
      createdAt: true,
      run: { select: { stepOverrides: true, workflow: { select: { id: true, name: true } }, version: { select: { graph: true } } } },
    },
  });
  const deaths = await db.runEvent.findMany({
    where: { runId: { in: rows.map((r) => r.runId) }, type: "run.dead" },
    select: { runId: true, nodeId: true, seq: true },
  });
  const deathSeq = new Map<string, number>();
  for (const d of deaths) deathSeq.set(`${d.runId}:${d.nodeId}`, Math.max(d.seq, deathSeq.get(`${d.runId}:${d.nodeId}`) ?? 0));

  return rows.map((r) => {
    const packet = r.packet as Packet;
    const node = (r.run.version.graph as unknown as { nodes: GraphNodeLite[] }).nodes.find((n) => n.id === r.nodeId);
    const attempts = packet.attempts ?? [];
    const lastError = (attempts[attempts.length - 1]?.error ?? null) as { message?: string; kind?: string } | null;
    const visit = packet.visit ?? 1;
    const override = ((r.run.stepOverrides ?? {}) as Record<string, { visit?: number; generation?: number; config?: Record<string, unknown> }>)[r.nodeId];
    const generation = override?.visit === visit ? (override.generation ?? 0) : 0;
    return {
      id: r.id,
      runId: r.runId,
      workflow: r.run.workflow,
      node: { id: r.nodeId, label: node?.label ?? r.nodeId, type: node ? `${node.type}@${node.typeVersion}` : null },
      /** The step's configuration as it last ran (with earlier edits), to edit for a retry. */
      config: { ...(node?.config ?? {}), ...(generation > 0 ? (override?.config ?? {}) : {}) },
      errorKind: lastError?.kind ?? "unknown",
      error: lastError?.message ?? "the step failed",
      attempts,
      input: packet.input ?? null,
      outputsSoFar: packet.outputsSoFar ?? null,
      likelyCause: packet.likelyCause ?? null,
      visit,
      /** A plain retry runs under the key the failed attempts used. */
      key: stepKey(r.runId, r.nodeId, visit, generation),
      /** A retry with edits is a different request, under this new key. */
      editedKey: stepKey(r.runId, r.nodeId, visit, generation + 1),
      step: deathSeq.get(`${r.runId}:${r.nodeId}`) ?? null,
      createdAt: r.createdAt.toISOString(),
    };
  });
}

export type DeadLetterInboxItem = Awaited<ReturnType<typeof deadLetterInbox>>[number];
