import type { Graph } from "../../../engine/graph/schema";
import { applyNodeStateEvent, type NodeRunStates } from "../../../engine/runtime/node-states";

// The replay's position model: the node states and taken edges after any event of a run, found
// from the nearest keyframe (a fold saved every KEYFRAME_EVERY events) instead of from the start,
// so scrubbing a long log costs at most that many small folds per move.

export interface TimelineEvent {
  seq: number;
  type: string;
  nodeId: string | null;
  payload?: unknown;
  tombstone?: string | null;
  at: string;
}

export interface TimelinePoint {
  states: NodeRunStates;
  /** Edge ids the run travelled up to this point. */
  takenEdges: readonly string[];
}

interface Fold {
  states: NodeRunStates;
  /** Per node, the port it last left by; "*" when the event does not say (an approval's decision). */
  lastPort: Record<string, string>;
  taken: Set<string>;
}

export const KEYFRAME_EVERY = 128;

const EMPTY: Fold = { states: {}, lastPort: {}, taken: new Set() };

const portOf = (event: TimelineEvent): string | null => {
  const payload = event.payload as { port?: unknown } | null;
  switch (event.type) {
    case "node.completed":
    case "node.skipped":
      return typeof payload?.port === "string" ? payload.port : "*";
    case "node.failed":
      return "error";
    case "approval.approved":
    case "approval.rejected":
    case "delay.finished":
      return "*";
    default:
      return null;
  }
};

export class Timeline {
  private readonly events: TimelineEvent[] = [];
  private readonly keyframes: Fold[] = [EMPTY];
  /** Per node, the indexes of its events, so a step's details never scan the whole log. */
  private readonly perNode = new Map<string, number[]>();
  private readonly incoming: Map<string, { id: string; source: string; port: string }[]>;

  constructor(graph: Graph) {
    this.incoming = new Map();
    for (const edge of graph.edges) {
      const list = this.incoming.get(edge.target) ?? [];
      list.push({ id: edge.id, source: edge.source, port: edge.sourcePort });
      this.incoming.set(edge.target, list);
    }
  }

  get length(): number {
    return this.events.length;
  }

  event(index: number): TimelineEvent | undefined {
    return this.events[index];
  }

  all(): readonly TimelineEvent[] {
    return this.events;
  }

  /** The indexes of a node's events, in order. */
  indexesOf(nodeId: string): readonly number[] {
    return this.perNode.get(nodeId) ?? [];
  }

  /** Index of the event with this seq, or of the last one before it. */
  indexOfSeq(seq: number): number {
    let lo = 0;
    let hi = this.events.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid]!.seq <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Adds the next page of events (in seq order, after those already held). */
  append(events: readonly TimelineEvent[]): void {
    let fold = this.foldTo(this.events.length - 1);
    for (const event of events) {
      if (this.events.length > 0 && event.seq <= this.events.at(-1)!.seq) continue;
      this.events.push(event);
      if (event.nodeId) {
        const list = this.perNode.get(event.nodeId) ?? [];
        list.push(this.events.length - 1);
        this.perNode.set(event.nodeId, list);
      }
      fold = this.step(fold, event);
      if (this.events.length % KEYFRAME_EVERY === 0) this.keyframes.push(fold);
    }
  }

  /** The node states and taken edges after the event at `index` (-1: before the first). */
  at(index: number): TimelinePoint {
    const fold = this.foldTo(Math.min(index, this.events.length - 1));
    return { states: fold.states, takenEdges: [...fold.taken] };
  }

  private foldTo(index: number): Fold {
    if (index < 0) return EMPTY;
    const k = Math.min(Math.floor((index + 1) / KEYFRAME_EVERY), this.keyframes.length - 1);
    let fold = this.keyframes[k]!;
    for (let i = k * KEYFRAME_EVERY; i <= index; i++) fold = this.step(fold, this.events[i]!);
    return fold;
  }

  private step(fold: Fold, event: TimelineEvent): Fold {
    const states = applyNodeStateEvent(fold.states, event);
    const port = portOf(event);
    let { lastPort, taken } = fold;
    if (port && event.nodeId) lastPort = { ...lastPort, [event.nodeId]: port };
    if (event.type === "node.entered" && event.nodeId) {
      for (const edge of this.incoming.get(event.nodeId) ?? []) {
        const left = lastPort[edge.source];
        if (left && (left === "*" || left === edge.port) && !taken.has(edge.id)) {
          taken = new Set(taken).add(edge.id);
        }
      }
    }
    return states === fold.states && lastPort === fold.lastPort && taken === fold.taken ? fold : { states, lastPort, taken };
  }
}
