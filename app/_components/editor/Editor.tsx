"use client";

import * as Tabs from "@radix-ui/react-tabs";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useStore } from "zustand";
import { validateGraph } from "../../../engine/graph/validate";
import { createValidationCache } from "../../../engine/graph/validation-cache";
import type { Problem } from "../../../engine/graph/problems";
import type { RunOverlay } from "../canvas/run-overlay";
import { RunButton } from "../RunButton";
import { registry } from "../../../nodes/catalog";
import type { WorkflowDetail } from "../../../server/services/workflows";
import { useTRPC } from "../../_trpc/client";
import { EditorCanvas } from "../canvas/EditorCanvas";
import { connectionRefusal } from "../canvas/connection";
import { outputPorts } from "../canvas/flow-model";
import { layoutGraph } from "../canvas/layout";
import { PublishPanel } from "../PublishPanel";
import { parseClipboard } from "./clipboard";
import type { SampleData } from "./ExpressionField";
import { NodePanel } from "./NodePanel";
import { Palette } from "./Palette";
import { ProblemsPanel } from "./ProblemsPanel";
import { isTyping } from "./shortcuts";
import { ShortcutsDialog } from "./ShortcutsDialog";
import { EXTRA_SIDE_TABS, type EditorTabContext } from "./side-tabs";
import { StatechartDialog } from "./StatechartDialog";
import { createEditorStore, type EditorStore } from "./store";
import { initialDraft, useDraftSync, type SaveStatus } from "./use-draft-sync";
import { useWaitingAtNodes } from "./use-waiting-at-nodes";
import { DeliveryNotice } from "./DeliveryNotice";
import type { DeliveryWarning } from "../canvas/flow-model";
import { WebhookInfo } from "./WebhookInfo";
import { WorkflowLimits } from "./WorkflowLimits";

const EMPTY_SAMPLE: SampleData = { input: {}, outputs: {} };
const STATUS_TEXT: Record<SaveStatus, string> = { saved: "All changes saved", unsaved: "Unsaved changes…", saving: "Saving…", failed: "Save failed — retrying", conflict: "Not saved: changed elsewhere" };

export function Editor({ workflow }: { workflow: WorkflowDetail }) {
  const [start] = useState(() => initialDraft(workflow));
  const [store] = useState(() => createEditorStore(registry, start.graph));
  return (
    <ReactFlowProvider>
      <EditorBody store={store} workflow={workflow} start={start} />
    </ReactFlowProvider>
  );
}

function EditorBody({ store, workflow, start }: { store: EditorStore; workflow: WorkflowDetail; start: { baseRevision: number; restored: boolean } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const flow = useReactFlow();
  const graph = useStore(store, (s) => s.graph);
  const selectedNodes = useStore(store, (s) => s.selectedNodes);
  const canUndo = useStore(store, (s) => s.past.length > 0);
  const canRedo = useStore(store, (s) => s.future.length > 0);
  // Typed input the panel has not committed yet is an unsaved change too.
  const editing = useStore(store, (s) => s.editing);

  // Live validation: the engine's validator, in the page, on every change. The store keeps
  // unchanged node objects, so the cache re-checks only the nodes an edit touched.
  const [validationCache] = useState(() => createValidationCache(registry));
  const problems = useMemo<Problem[]>(() => {
    const result = validateGraph(graph, registry, validationCache);
    return result.ok ? [] : result.problems;
  }, [graph, validationCache]);

  const llm = useQuery(trpc.settings.llm.queryOptions());
  const notices = useMemo(() => {
    if (llm.data?.endpoint.configured !== false) return undefined;
    const out: Record<string, string> = {};
    for (const n of graph.nodes) if (registry.get(n.type, n.typeVersion)?.requires?.includes("llm")) out[n.id] = "Needs an LLM endpoint: none is configured (Settings → LLM).";
    return out;
  }, [graph.nodes, llm.data]);
  const credentials = useQuery(trpc.credential.list.queryOptions());
  const waiting = useWaitingAtNodes(workflow.id);
  // Read from the saved draft, so refetched after each save (onSaved) and when credentials change.
  const undeliverable = useQuery(trpc.outbox.undeliverable.queryOptions({ workflow: workflow.id }));
  const delivery = useMemo(() => {
    if (!undeliverable.data?.length) return undefined;
    return Object.fromEntries(undeliverable.data.map((w) => [w.nodeId, { outcome: w.outcome, reason: w.reason }])) as Record<string, DeliveryWarning>;
  }, [undeliverable.data]);

  const [runOverlay, setRunOverlay] = useState<RunOverlay | undefined>(undefined);
  const [sample, setSample] = useState<SampleData>(EMPTY_SAMPLE);
  const [tab, setTab] = useState("node");
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const [statechartOpen, setStatechartOpen] = useState(false);
  const [connectFrom, setConnectFrom] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const onSaved = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.workflow.validate.queryKey({ id: workflow.id }) });
    void queryClient.invalidateQueries({ queryKey: trpc.outbox.undeliverable.queryKey({ workflow: workflow.id }) });
  }, [queryClient, trpc, workflow.id]);
  const sync = useDraftSync(store, workflow, start, onSaved);
  const shownStatus: SaveStatus = editing && sync.status === "saved" ? "unsaved" : sync.status;

  const selected = selectedNodes.size === 1 ? graph.nodes.find((n) => selectedNodes.has(n.id)) : undefined;

  const insert = useCallback(
    (type: string) => {
      const { graph: g, selectedNodes: sel } = store.getState();
      const after = sel.size === 1 ? g.nodes.find((n) => sel.has(n.id)) : undefined;
      if (after) {
        const used = new Set(g.edges.filter((e) => e.source === after.id).map((e) => e.sourcePort));
        const port = outputPorts(registry.get(after.type, after.typeVersion), after.config).find((p) => !used.has(p.id));
        const id = store.getState().addNode(type, { x: after.position.x + 304, y: after.position.y }, port ? { nodeId: after.id, port: port.id } : undefined);
        if (id) setNotice(port ? `Added ${id} after ${after.id} (${port.label}).` : `Added ${id}; ${after.id} has no free output to connect from.`);
      } else {
        const box = document.querySelector('[data-testid="workflow-canvas"]')?.getBoundingClientRect();
        const at = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
        const id = store.getState().addNode(type, { x: at.x - 116, y: at.y - 40 });
        if (id) setNotice(`Added ${id}.`);
      }
    },
    [store, flow],
  );

  const autoLayout = useCallback(async () => {
    const g = store.getState().graph;
    const sizes = Object.fromEntries(flow.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 232, height: n.measured?.height ?? 100 }]));
    store.getState().applyLayout(await layoutGraph(g, registry, sizes));
    requestAnimationFrame(() => void flow.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }));
  }, [store, flow]);

  const focusProblem = useCallback(
    (p: Problem) => {
      const g = store.getState().graph;
      const nodeId = p.nodeId && g.nodes.some((n) => n.id === p.nodeId) ? p.nodeId : g.edges.find((e) => e.id === p.edgeId)?.source;
      if (p.edgeId && g.edges.some((e) => e.id === p.edgeId)) store.getState().select(nodeId ? [nodeId] : [], [p.edgeId]);
      else if (nodeId) store.getState().select([nodeId]);
      if (nodeId) {
        setTab("node");
        void flow.fitView({ nodes: [{ id: nodeId }], maxZoom: 1, duration: 200 });
      }
    },
    [store, flow],
  );

  const publish = useCallback(async () => {
    await sync.saveNow();
    setTab("publish");
  }, [sync]);

  // Keyboard connect: C on a node, then choose another (click, or Tab + Enter).
  useEffect(() => {
    if (!connectFrom) return;
    return store.subscribe((state) => {
      if (state.selectedNodes.size !== 1) return;
      const target = [...state.selectedNodes][0]!;
      if (target === connectFrom) return;
      const g = state.graph;
      const source = g.nodes.find((n) => n.id === connectFrom);
      const targetNode = g.nodes.find((n) => n.id === target);
      setConnectFrom(null);
      if (!source || !targetNode) return;
      const used = new Set(g.edges.filter((e) => e.source === source.id).map((e) => e.sourcePort));
      const port = outputPorts(registry.get(source.type, source.typeVersion), source.config).find((p) => !used.has(p.id));
      const targetPort = registry.get(targetNode.type, targetNode.typeVersion)?.inputs[0]?.id;
      if (!port || !targetPort) {
        setNotice(!port ? `${source.id} has no free output.` : `${target} takes no input.`);
        return;
      }
      const candidate = { source: source.id, sourcePort: port.id, target, targetPort };
      const result = validateGraph(g, registry, validationCache);
      const reason = connectionRefusal(g, result.ok ? [] : result.problems, candidate, registry, validationCache);
      if (reason) setNotice(`Cannot connect: ${reason}`);
      else {
        state.connect(candidate);
        setNotice(`Connected ${source.id} (${port.label}) → ${target}.`);
      }
    });
  }, [connectFrom, store, validationCache]);

  // Shortcuts, left to text fields while typing in them.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || event.defaultPrevented) return;
      if (document.querySelector('[role="dialog"]')) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      const s = store.getState();
      const run = (fn: () => void) => {
        event.preventDefault();
        fn();
      };
      if (mod && key === "z" && !event.shiftKey) run(s.undo);
      else if (mod && ((key === "z" && event.shiftKey) || key === "y")) run(s.redo);
      else if (mod && key === "d") run(() => void s.duplicate());
      else if (mod && key === "a") run(s.selectAll);
      else if (mod && key === "l") run(() => void autoLayout());
      else if (mod && key === "s") run(() => void sync.saveNow());
      else if (mod && key === "enter") run(() => void publish());
      else if (!mod && (key === "delete" || key === "backspace")) run(s.deleteSelection);
      else if (!mod && !event.altKey && event.key === "?") run(() => setShortcutsOpen(true));
      else if (!mod && !event.altKey && key === "/") run(() => (document.querySelector("[data-palette-search]") as HTMLInputElement | null)?.focus());
      else if (!mod && !event.altKey && key === "f") run(() => void flow.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }));
      else if (!mod && !event.altKey && key === "c" && s.selectedNodes.size === 1) {
        const from = [...s.selectedNodes][0]!;
        run(() => {
          setConnectFrom(from);
          setNotice(`Connecting from ${from}: choose the node to connect to (Tab to it, then Enter), or press Escape.`);
        });
      } else if (key === "escape" && connectFrom) run(() => (setConnectFrom(null), setNotice(null)));
      else if (event.altKey && (key === "arrowright" || key === "arrowleft") && s.selectedNodes.size === 1) {
        const id = [...s.selectedNodes][0]!;
        const next = key === "arrowright" ? s.graph.edges.find((e) => e.source === id)?.target : s.graph.edges.find((e) => e.target === id)?.source;
        if (next) run(() => s.select([next]));
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store, autoLayout, publish, sync, flow, connectFrom]);

  // Clipboard: the system clipboard, so nodes travel between tabs and workflows.
  const pointer = useRef<{ x: number; y: number } | null>(null);
  useEffect(() => {
    const onMove = (event: PointerEvent) => {
      const box = document.querySelector('[data-testid="workflow-canvas"]')?.getBoundingClientRect();
      const inside = box && event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
      pointer.current = inside ? { x: event.clientX, y: event.clientY } : null;
    };
    document.addEventListener("pointermove", onMove, { passive: true });
    return () => document.removeEventListener("pointermove", onMove);
  }, []);
  useEffect(() => {
    const onCopy = (event: ClipboardEvent) => {
      if (isTyping(event.target) || !event.clipboardData) return;
      const payload = store.getState().copy();
      if (!payload) return;
      event.preventDefault();
      event.clipboardData.setData("text/plain", JSON.stringify(payload));
      if (event.type === "cut") store.getState().deleteSelection();
      setNotice(`${event.type === "cut" ? "Cut" : "Copied"} ${payload.nodes.length} node(s).`);
    };
    const onPaste = (event: ClipboardEvent) => {
      if (isTyping(event.target) || !event.clipboardData) return;
      const payload = parseClipboard(event.clipboardData.getData("text/plain"));
      if (!payload) return;
      event.preventDefault();
      // At the pointer when it was last over the canvas (as n8n does), else beside the originals.
      const at = pointer.current ? flow.screenToFlowPosition(pointer.current) : null;
      const ids = store.getState().paste(payload, at ? { at: { x: Math.round(at.x / 16) * 16, y: Math.round(at.y / 16) * 16 } } : { offset: { x: 48, y: 48 } });
      setNotice(`Pasted ${ids.length} node(s).`);
    };
    // Chromium offers copy and paste to the page only when something is selected, unless the
    // page says it handles them (by cancelling the "before" events).
    const offer = (event: Event) => {
      if (isTyping(event.target)) return;
      if (event.type === "beforepaste" || store.getState().selectedNodes.size > 0) event.preventDefault();
    };
    for (const type of ["beforecopy", "beforecut", "beforepaste"]) document.addEventListener(type, offer);
    document.addEventListener("copy", onCopy);
    document.addEventListener("cut", onCopy);
    document.addEventListener("paste", onPaste);
    return () => {
      for (const type of ["beforecopy", "beforecut", "beforepaste"]) document.removeEventListener(type, offer);
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("cut", onCopy);
      document.removeEventListener("paste", onPaste);
    };
  }, [store, flow]);

  const errors = problems.length;
  const tabContext: EditorTabContext = { store, registry, workflow, problems, saveNow: sync.saveNow, setRunOverlay, setSample };

  return (
    <div className="editor" data-testid="editor">
      <div className="editor-toolbar" role="toolbar" aria-label="Editor">
        <h1 className="editor-title">{workflow.name}</h1>
        {workflow.currentVersion === null ? <span className="badge badge-muted">draft only</span> : <span className="badge badge-accent">v{workflow.currentVersion} published</span>}
        <span className={`save-status save-${shownStatus}`} role="status" data-testid="save-status" data-status={shownStatus}>
          {STATUS_TEXT[shownStatus]}
        </span>
        <span className="toolbar-spacer" />
        <button type="button" className="button-quiet" onClick={() => store.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" className="button-quiet" onClick={() => store.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button type="button" className="button-quiet" onClick={() => store.getState().duplicate()} disabled={selectedNodes.size === 0} title="Duplicate (Ctrl+D)">
          Duplicate
        </button>
        <button type="button" className="button-quiet" onClick={() => store.getState().deleteSelection()} disabled={selectedNodes.size === 0} title="Delete (Delete)">
          Delete
        </button>
        <button type="button" className="button-quiet" onClick={() => void autoLayout()} disabled={graph.nodes.length === 0} title="Auto-layout (Ctrl+L)">
          Layout
        </button>
        <button type="button" className="button-quiet" onClick={() => setStatechartOpen(true)} title="Statechart">
          Statechart
        </button>
        <button type="button" className="button-quiet" onClick={() => setShortcutsOpen(true)} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          ?
        </button>
        {workflow.currentVersion === null ? null : <RunButton workflow={workflow.id} />}
        <button type="button" className="button-primary" onClick={() => void publish()} disabled={errors > 0 || sync.status === "conflict"} title={errors ? `Fix ${errors} problem(s) first` : "Publish (Ctrl+Enter)"}>
          Publish…
        </button>
      </div>
      {sync.status === "conflict" ? (
        <div className="callout callout-danger editor-banner" role="alert" data-testid="save-conflict">
          <strong>This draft was changed in another tab or by someone else.</strong> Your edits are kept in this browser. {sync.error}
          <div className="button-row">
            <button type="button" className="button-quiet" onClick={() => void sync.reload()}>
              Reload their draft (drop my edits)
            </button>
            <button type="button" className="button-primary" onClick={() => void sync.overwrite()}>
              Overwrite with my edits
            </button>
          </div>
        </div>
      ) : sync.status === "failed" ? (
        <div className="callout callout-danger editor-banner" role="alert" data-testid="save-failed">
          Could not save: {sync.error} Your edits are kept in this browser and saved as soon as the server answers.
        </div>
      ) : sync.restored ? (
        <div className="callout editor-banner" role="status" data-testid="draft-restored">
          Edits this browser had not saved yet were restored.
        </div>
      ) : null}
      <div className="editor-main">
        <Palette registry={registry} onInsert={insert} />
        <div className="editor-center">
          <EditorCanvas store={store} registry={registry} problems={problems} notices={notices} runStates={runOverlay?.states} takenEdges={runOverlay?.takenEdges} waiting={waiting} delivery={delivery} validationCache={validationCache} />
          <p className="editor-notice" role="status" aria-live="polite" data-testid="editor-notice">
            {notice ?? (connectFrom ? `Connecting from ${connectFrom}…` : "")}
          </p>
          <ProblemsPanel problems={problems} onFocus={focusProblem} />
        </div>
        <Tabs.Root className="side-panel" value={tab} onValueChange={setTab}>
          <Tabs.List className="tabs" aria-label="Side panel">
            <Tabs.Trigger value="node">Node</Tabs.Trigger>
            <Tabs.Trigger value="workflow">Workflow</Tabs.Trigger>
            <Tabs.Trigger value="publish">Publish</Tabs.Trigger>
            {EXTRA_SIDE_TABS.map((t) => (
              <Tabs.Trigger key={t.id} value={t.id}>
                {t.label}
              </Tabs.Trigger>
            ))}
          </Tabs.List>
          <Tabs.Content value="node" className="tab-content">
            {selected ? (
              <NodePanel
                key={selected.id}
                store={store}
                registry={registry}
                node={selected}
                problems={problems}
                credentials={credentials.data ?? []}
                sample={sample}
                extra={selected.type === "trigger.webhook" ? <WebhookInfo workflowId={workflow.id} slug={workflow.slug} /> : null}
                notice={delivery?.[selected.id] ? <DeliveryNotice warning={delivery[selected.id]!} /> : null}
              />
            ) : (
              <p className="muted side-empty">{selectedNodes.size > 1 ? `${selectedNodes.size} nodes selected.` : "Select a node to configure it."}</p>
            )}
          </Tabs.Content>
          <Tabs.Content value="workflow" className="tab-content">
            <WorkflowLimits workflowId={workflow.id} current={workflow.limits} />
          </Tabs.Content>
          <Tabs.Content value="publish" className="tab-content">
            <PublishPanel workflowId={workflow.id} workflowName={workflow.name} />
          </Tabs.Content>
          {EXTRA_SIDE_TABS.map((t) => (
            <Tabs.Content key={t.id} value={t.id} className="tab-content">
              {t.render(tabContext)}
            </Tabs.Content>
          ))}
        </Tabs.Root>
      </div>
      <ShortcutsDialog open={shortcutsOpen} onOpenChange={setShortcutsOpen} />
      <StatechartDialog workflowId={workflow.id} slug={workflow.slug} open={statechartOpen} onOpenChange={setStatechartOpen} />
    </div>
  );
}
