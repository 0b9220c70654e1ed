// Which edges a run travelled, and how often, read from its event log: every event that left a
// node says by which port (a completion its port, a routed failure the error port, a decision
// its approve or reject port), and the edges leaving that port are the ones taken. Loops take
// their back-edge once per pass; a fork takes all its branches at once. Pure and incremental,
// like node-states.ts, so the replay can fold from a keyframe and a live view event by event.

import type { NodeStateEvent } from "./node-states";

/** Edge id → how many times the run took it; edges absent from the map were not taken. */
export type TakenEdges = Readonly<Record<string, number>>;

interface EdgeLike {
  id: string;
  source: string;
  sourcePort: string;
}

export interface TakenEdgeIndex {
  /** `source\0port` → the ids of the edges leaving that port (several only for a fork). */
  readonly leaving: ReadonlyMap<string, readonly string[]>;
  /** A decision node's ports [approve, reject], for logs written before decisions named their port. */
  readonly decisionPorts: (nodeId: string) => readonly string[] | undefined;
}

const portKey = (node: string, port: string) => `${node}\u0000${port}`;

export function takenEdgeIndex(graph: { edges: readonly EdgeLike[] }, decisionPorts: (nodeId: string) => readonly string[] | undefined = () => undefined): TakenEdgeIndex {
  const leaving = new Map<string, string[]>();
  for (const edge of graph.edges) {
    const key = portKey(edge.source, edge.sourcePort);
    leaving.set(key, [...(leaving.get(key) ?? []), edge.id]);
  }
  return { leaving, decisionPorts };
}

interface LeavingPayload {
  port?: unknown;
  machineEvent?: { type?: unknown; port?: unknown } | null;
}

/** The port an event left its node by; null when the event did not move the run on. */
export function portLeft(event: NodeStateEvent, index: TakenEdgeIndex): string | null {
  if (!event.nodeId) return null;
  const payload = (event.payload ?? {}) as LeavingPayload;
  const named = typeof payload.port === "string" ? payload.port : null;
  switch (event.type) {
    case "node.completed":
    case "node.skipped":
      return named ?? (typeof payload.machineEvent?.port === "string" ? payload.machineEvent.port : "out");
    case "node.failed":
      // Only a failure the machine routed (to the error edge) moves on; one that is retried or
      // dead-lettered is logged without a machine event.
      return payload.machineEvent?.type === "NODE.FAILED" ? "error" : null;
    case "approval.approved":
      return named ?? index.decisionPorts(event.nodeId)?.[0] ?? "approved";
    case "approval.rejected":
      return named ?? index.decisionPorts(event.nodeId)?.[1] ?? "rejected";
    case "delay.finished":
      return named ?? "out";
    default:
      return null;
  }
}

/** Folds one event into the taken edges; returns the same object when nothing was taken. */
export function applyTakenEdgeEvent(taken: TakenEdges, event: NodeStateEvent, index: TakenEdgeIndex): TakenEdges {
  const port = portLeft(event, index);
  if (port === null) return taken;
  const edges = index.leaving.get(portKey(event.nodeId!, port));
  if (!edges?.length) return taken;
  const next: Record<string, number> = { ...taken };
  for (const id of edges) next[id] = (next[id] ?? 0) + 1;
  return next;
}

/** The edges taken over a run's events, in log order. */
export function deriveTakenEdges(events: readonly NodeStateEvent[], index: TakenEdgeIndex, from: TakenEdges = {}): TakenEdges {
  let taken = from;
  for (const event of events) taken = applyTakenEdgeEvent(taken, event, index);
  return taken;
}
