import { createStore } from "zustand/vanilla";
import type { Graph, GraphEdge, GraphNode } from "../../../engine/graph/schema";
import type { NodeRegistry } from "../../../engine/registry";
import { copySelection, freshen, type ClipboardPayload } from "./clipboard";
import { freshId, idBase, takenIds } from "./ids";

// The editor's one store. The graph changes only through the named commands below, each of
// which records one undo entry (a snapshot of the graph before it: graphs are immutable and
// share what did not change, so a snapshot costs a pointer). Undo/redo, autosave and paste all
// go through here; selection is view state and never part of history.

export type Point = { x: number; y: number };
type RetryOverride = NonNullable<GraphNode["retry"]>;

/** Typing in one field within this long, without leaving it, is one undo entry. */
export const BURST_MS = 1_500;
const HISTORY_LIMIT = 200;

interface Burst {
  key: string;
  at: number;
}

export interface EditorState {
  graph: Graph;
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  past: Graph[];
  future: Graph[];
  /** Bumped on every change of the graph (undo and redo included): what autosave watches. */
  changeCount: number;
  burst: Burst | null;
  /** A config field holds typed input not committed yet (view state, like the selection). */
  editing: boolean;
}

export interface EditorCommands {
  /** Replaces everything (opening a draft, reloading after a conflict): no undo across it. */
  load(graph: Graph): void;
  select(nodes: Iterable<string>, edges?: Iterable<string>): void;
  selectAll(): void;
  addNode(type: string, position: Point, after?: { nodeId: string; port?: string }): string | null;
  deleteSelection(): void;
  deleteElements(nodeIds: Iterable<string>, edgeIds: Iterable<string>): void;
  moveNodes(positions: Record<string, Point>): void;
  connect(edge: Omit<GraphEdge, "id">): string | null;
  setConfigField(nodeId: string, field: string, value: unknown): void;
  setConfig(nodeId: string, config: Record<string, unknown>): void;
  setLabel(nodeId: string, label: string): void;
  setRetry(nodeId: string, retry: RetryOverride | undefined): void;
  paste(payload: ClipboardPayload, place: { offset: Point } | { at: Point }): string[];
  duplicate(): string[];
  copy(): ClipboardPayload | null;
  applyLayout(positions: Record<string, Point>): void;
  /** Ends a typing burst (a field lost focus): the next keystroke starts a new undo entry. */
  endBurst(): void;
  /** The config panel has (or no longer has) typed input waiting to be committed. */
  setEditing(editing: boolean): void;
  undo(): void;
  redo(): void;
}

/** The selection, without what no longer exists in `graph` (undo of an add). */
function keepSelection(state: EditorState, graph: Graph) {
  const nodes = new Set(graph.nodes.map((n) => n.id));
  const edges = new Set(graph.edges.map((e) => e.id));
  return { selectedNodes: new Set([...state.selectedNodes].filter((id) => nodes.has(id))), selectedEdges: new Set([...state.selectedEdges].filter((id) => edges.has(id))) };
}

export type EditorStore = ReturnType<typeof createEditorStore>;

export function createEditorStore(registry: NodeRegistry, initial: Graph, now: () => number = Date.now) {
  return createStore<EditorState & EditorCommands>()((set, get) => {
    /** Applies a change as one undo entry; `burst` folds consecutive edits of one field into it. */
    const change = (next: Graph, burstKey?: string) => {
      const state = get();
      if (next === state.graph) return;
      const t = now();
      const continuing = burstKey !== undefined && state.burst?.key === burstKey && t - state.burst.at < BURST_MS;
      set({
        graph: next,
        past: continuing ? state.past : [...state.past.slice(-(HISTORY_LIMIT - 1)), state.graph],
        future: [],
        changeCount: state.changeCount + 1,
        burst: burstKey === undefined ? null : { key: burstKey, at: t },
      });
    };
    const mapNode = (graph: Graph, id: string, fn: (n: GraphNode) => GraphNode): Graph => {
      let changed = false;
      const nodes = graph.nodes.map((n) => {
        if (n.id !== id) return n;
        const next = fn(n);
        changed ||= next !== n;
        return next;
      });
      return changed ? { ...graph, nodes } : graph;
    };
    const defaultConfig = (type: string): Record<string, unknown> | null => {
      const meta = registry.latest(type);
      if (!meta) return null;
      const parsed = meta.config.safeParse({});
      return parsed.success ? (parsed.data as Record<string, unknown>) : {};
    };

    return {
      graph: initial,
      selectedNodes: new Set(),
      selectedEdges: new Set(),
      past: [],
      future: [],
      changeCount: 0,
      burst: null,
      editing: false,

      load(graph) {
        set({ graph, past: [], future: [], burst: null, selectedNodes: new Set(), selectedEdges: new Set(), changeCount: get().changeCount + 1 });
      },

      select(nodes, edges = []) {
        set({ selectedNodes: new Set(nodes), selectedEdges: new Set(edges) });
      },

      selectAll() {
        const { graph } = get();
        set({ selectedNodes: new Set(graph.nodes.map((n) => n.id)), selectedEdges: new Set(graph.edges.map((e) => e.id)) });
      },

      addNode(type, position, after) {
        const meta = registry.latest(type);
        const config = defaultConfig(type);
        if (!meta || !config) return null;
        const { graph } = get();
        const taken = takenIds(graph);
        const id = freshId(idBase(type), taken.nodes);
        const node: GraphNode = { id, type, typeVersion: meta.version, label: "", position: { x: Math.round(position.x), y: Math.round(position.y) }, config };
        const edges = [...graph.edges];
        if (after && meta.inputs.length && graph.nodes.some((n) => n.id === after.nodeId)) {
          const port = after.port ?? "out";
          edges.push({ id: freshId("e", taken.edges), source: after.nodeId, sourcePort: port, target: id, targetPort: meta.inputs[0]!.id });
        }
        change({ ...graph, nodes: [...graph.nodes, node], edges });
        set({ selectedNodes: new Set([id]), selectedEdges: new Set() });
        return id;
      },

      deleteSelection() {
        const { selectedNodes, selectedEdges } = get();
        get().deleteElements(selectedNodes, selectedEdges);
      },

      deleteElements(nodeIds, edgeIds) {
        const nodes = new Set(nodeIds);
        const edges = new Set(edgeIds);
        const { graph } = get();
        const next: Graph = {
          ...graph,
          nodes: graph.nodes.filter((n) => !nodes.has(n.id)),
          edges: graph.edges.filter((e) => !edges.has(e.id) && !nodes.has(e.source) && !nodes.has(e.target)),
        };
        if (next.nodes.length === graph.nodes.length && next.edges.length === graph.edges.length) return;
        change(next);
        set({ selectedNodes: new Set(), selectedEdges: new Set() });
      },

      moveNodes(positions) {
        const { graph } = get();
        let moved = false;
        const nodes = graph.nodes.map((n) => {
          const p = positions[n.id];
          if (!p || (Math.round(p.x) === n.position.x && Math.round(p.y) === n.position.y)) return n;
          moved = true;
          return { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } };
        });
        if (moved) change({ ...graph, nodes });
      },

      connect(edge) {
        const { graph } = get();
        const id = freshId("e", takenIds(graph).edges);
        change({ ...graph, edges: [...graph.edges, { id, ...edge }] });
        return id;
      },

      setConfigField(nodeId, field, value) {
        const next = mapNode(get().graph, nodeId, (n) => {
          if (n.config[field] === value) return n;
          // Only this field changes: keys the form does not know are kept as they are.
          const config = { ...n.config };
          if (value === undefined) delete config[field];
          else config[field] = value;
          return { ...n, config };
        });
        change(next, `${nodeId}\u0000config.${field}`);
      },

      setConfig(nodeId, config) {
        change(mapNode(get().graph, nodeId, (n) => ({ ...n, config })), `${nodeId}\u0000config`);
      },

      setLabel(nodeId, label) {
        change(
          mapNode(get().graph, nodeId, (n) => (n.label === label ? n : { ...n, label })),
          `${nodeId}\u0000label`,
        );
      },

      setRetry(nodeId, retry) {
        change(
          mapNode(get().graph, nodeId, (n) => {
            const { retry: _old, ...rest } = n;
            return retry && Object.keys(retry).length ? { ...rest, retry } : rest;
          }),
          `${nodeId}\u0000retry`,
        );
      },

      paste(payload, place) {
        const { graph } = get();
        const added = freshen(payload, graph, place);
        change({ ...graph, nodes: [...graph.nodes, ...added.nodes], edges: [...graph.edges, ...added.edges] });
        set({ selectedNodes: new Set(added.nodes.map((n) => n.id)), selectedEdges: new Set(added.edges.map((e) => e.id)) });
        return added.nodes.map((n) => n.id);
      },

      copy() {
        const { graph, selectedNodes } = get();
        return copySelection(graph, selectedNodes);
      },

      duplicate() {
        const payload = get().copy();
        return payload ? get().paste(payload, { offset: { x: 48, y: 48 } }) : [];
      },

      applyLayout(positions) {
        get().moveNodes(positions);
      },

      endBurst() {
        if (get().burst) set({ burst: null });
      },

      setEditing(editing) {
        if (get().editing !== editing) set({ editing });
      },

      undo() {
        const { past, future, graph, changeCount } = get();
        const previous = past[past.length - 1];
        if (!previous) return;
        set({ graph: previous, past: past.slice(0, -1), future: [graph, ...future], changeCount: changeCount + 1, burst: null, ...keepSelection(get(), previous) });
      },

      redo() {
        const { past, future, graph, changeCount } = get();
        const next = future[0];
        if (!next) return;
        set({ graph: next, past: [...past, graph], future: future.slice(1), changeCount: changeCount + 1, burst: null, ...keepSelection(get(), next) });
      },
    };
  });
}
