import type { Graph } from "../../../engine/graph/schema";
import { applyNodeStateEvent, type NodeRunStates } from "../../../engine/runtime/node-states";
import { applyTakenEdgeEvent, takenEdgeIndex, type TakenEdgeIndex, type TakenEdges } from "../../../engine/runtime/taken-edges";

// The replay's position model: the node states and taken edges (both folded by engine/runtime)
// after any event of a run, found from the nearest keyframe (a fold saved every KEYFRAME_EVERY
// events) instead of from the start, so scrubbing a long log costs at most that many small
// folds per move.

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
  /** Edge id → how many times the run travelled it up to this point. */
  takenEdges: TakenEdges;
}

interface Fold {
  states: NodeRunStates;
  taken: TakenEdges;
}

export const KEYFRAME_EVERY = 128;

const EMPTY: Fold = { states: {}, taken: {} };

export class Timeline {
  private readonly events: TimelineEvent[] = [];
  private readonly keyframes: Fold[] = [EMPTY];
  /** Per node, the indexes of its events, so a step's details never scan the whole log. */
  private readonly perNode = new Map<string, number[]>();
  private readonly edges: TakenEdgeIndex;
  /** The fold last asked for; events are only ever appended, so it stays true. */
  private last: { index: number; fold: Fold } | null = null;

  /** `edges`: the graph's taken-edge index; the app's knows each decision node's ports (run-overlay.ts). */
  constructor(graph: Graph, edges: TakenEdgeIndex = takenEdgeIndex(graph)) {
    this.edges = edges;
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
    return { states: fold.states, takenEdges: fold.taken };
  }

  private foldTo(index: number): Fold {
    if (index < 0) return EMPTY;
    const k = Math.min(Math.floor((index + 1) / KEYFRAME_EVERY), this.keyframes.length - 1);
    // From the nearest keyframe, or from the last position asked for when that is nearer
    // before it (stepping forward folds one event).
    let from = k * KEYFRAME_EVERY;
    let fold = this.keyframes[k]!;
    const last = this.last;
    if (last && last.index < index && last.index >= from) {
      from = last.index + 1;
      fold = last.fold;
    }
    for (let i = from; i <= index; i++) fold = this.step(fold, this.events[i]!);
    this.last = { index, fold };
    return fold;
  }

  private step(fold: Fold, event: TimelineEvent): Fold {
    const states = applyNodeStateEvent(fold.states, event);
    const taken = applyTakenEdgeEvent(fold.taken, event, this.edges);
    return states === fold.states && taken === fold.taken ? fold : { states, taken };
  }
}
