"use client";

import { TRPCClientError } from "@trpc/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { GraphSchema, type Graph } from "../../../engine/graph/schema";
import { useTRPCClient } from "../../_trpc/client";
import type { EditorStore } from "./store";

// Nothing typed is lost: every change is written to this browser's storage at once and saved
// to the server shortly after (debounced), with the revision it was based on. Storage is
// cleared only when the server has exactly what the editor shows. A save refused because
// another tab saved first stops autosave and asks: reload theirs, or overwrite on purpose.

export type SaveStatus = "saved" | "unsaved" | "saving" | "failed" | "conflict";

const SAVE_DELAY_MS = 800;
const RETRY_MS = 5_000;
export const draftKey = (workflowId: string) => `keel.draft.${workflowId}`;

interface StoredDraft {
  graph: Graph;
  baseRevision: number;
}

/**
 * Where the editor starts: edits this browser kept from before a reload or a failed save,
 * when there are any that differ from the server's draft; else the server's draft.
 */
export function initialDraft(workflow: { id: string; revision: number; draftGraph: Graph }): StoredDraft & { restored: boolean } {
  const stored = typeof window === "undefined" ? null : readStored(workflow.id);
  if (stored && JSON.stringify(stored.graph) !== JSON.stringify(workflow.draftGraph)) return { ...stored, restored: true };
  return { graph: workflow.draftGraph, baseRevision: workflow.revision, restored: false };
}

function readStored(workflowId: string): StoredDraft | null {
  try {
    const raw = JSON.parse(localStorage.getItem(draftKey(workflowId)) ?? "null") as { graph?: unknown; baseRevision?: unknown } | null;
    if (!raw || typeof raw.baseRevision !== "number") return null;
    const graph = GraphSchema.safeParse(raw.graph);
    return graph.success ? { graph: graph.data, baseRevision: raw.baseRevision } : null;
  } catch {
    return null;
  }
}

export function useDraftSync(
  store: EditorStore,
  workflow: { id: string; revision: number; draftGraph: Graph },
  start: { baseRevision: number; restored: boolean },
  onSaved?: () => void,
) {
  const client = useTRPCClient();
  const initial: SaveStatus = start.restored ? "unsaved" : "saved";
  const [status, setStatus] = useState<SaveStatus>(initial);
  const [error, setError] = useState<string | null>(null);
  const revision = useRef(start.baseRevision);
  const onServer = useRef<Graph>(workflow.draftGraph);
  const saving = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const statusRef = useRef<SaveStatus>(initial);
  const again = useRef<() => void>(() => undefined);
  const setBoth = (s: SaveStatus) => {
    statusRef.current = s;
    setStatus(s);
  };

  const save = useCallback(async () => {
    if (saving.current || statusRef.current === "conflict") return;
    const graph = store.getState().graph;
    if (graph === onServer.current) {
      setBoth("saved");
      return;
    }
    saving.current = true;
    setBoth("saving");
    try {
      const saved = await client.workflow.saveDraft.mutate({ id: workflow.id, graph, baseRevision: revision.current });
      revision.current = saved.revision;
      onServer.current = graph;
      setError(null);
      if (store.getState().graph === graph) {
        localStorage.removeItem(draftKey(workflow.id));
        setBoth("saved");
      } else {
        setBoth("unsaved");
        timer.current = setTimeout(() => again.current(), SAVE_DELAY_MS);
      }
      onSaved?.();
    } catch (err) {
      const conflict = err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === "CONFLICT";
      setError(err instanceof Error ? err.message : String(err));
      if (conflict) setBoth("conflict");
      else {
        setBoth("failed");
        timer.current = setTimeout(() => again.current(), RETRY_MS);
      }
    } finally {
      saving.current = false;
    }
  }, [client, store, workflow.id, onSaved]);

  useEffect(() => {
    again.current = () => void save();
  }, [save]);

  // Restored edits go to the server like any other.
  useEffect(() => {
    if (start.restored) timer.current = setTimeout(() => again.current(), SAVE_DELAY_MS);
  }, [start.restored]);

  useEffect(
    () =>
      store.subscribe((state, previous) => {
        if (state.graph === previous.graph) return;
        if (state.graph === onServer.current) {
          localStorage.removeItem(draftKey(workflow.id));
          if (statusRef.current !== "conflict" && !saving.current) setBoth("saved");
          return;
        }
        try {
          localStorage.setItem(draftKey(workflow.id), JSON.stringify({ graph: state.graph, baseRevision: revision.current } satisfies StoredDraft));
        } catch {
          // Storage full or disabled: the server save below still runs.
        }
        if (statusRef.current === "conflict") return;
        if (statusRef.current !== "saving") setBoth("unsaved");
        clearTimeout(timer.current);
        timer.current = setTimeout(() => void save(), SAVE_DELAY_MS);
      }),
    [store, workflow.id, save],
  );

  // Leaving with edits the server does not have asks first.
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (statusRef.current !== "saved") event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);

  /** Conflict: drop these edits and take the draft as saved elsewhere. */
  const reload = useCallback(async () => {
    const fresh = await client.workflow.get.query({ id: workflow.id });
    revision.current = fresh.revision;
    onServer.current = fresh.draftGraph;
    localStorage.removeItem(draftKey(workflow.id));
    setError(null);
    setBoth("saved");
    store.getState().load(fresh.draftGraph);
    onServer.current = store.getState().graph;
  }, [client, store, workflow.id]);

  /** Conflict: save these edits over the draft saved elsewhere, on purpose. */
  const overwrite = useCallback(async () => {
    const fresh = await client.workflow.get.query({ id: workflow.id });
    revision.current = fresh.revision;
    setBoth("unsaved");
    await save();
  }, [client, workflow.id, save]);

  const saveNow = useCallback(() => {
    clearTimeout(timer.current);
    return save();
  }, [save]);

  return { status, error, restored: start.restored, reload, overwrite, saveNow };
}
