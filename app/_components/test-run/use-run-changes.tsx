"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { RunChange } from "../../../server/services/run-changes";
import { useTRPC } from "../../_trpc/client";

// One run-change stream per page. Browsers allow six HTTP/1.1 connections to a host and every
// open SSE stream holds one: with a stream per component (the nav badge, the queue, the triage
// list…) a page starved its own queries. The provider holds the one stream (run.onChange with
// no filter) and hands each change to the hooks whose filter it matches.

type Filter = { runId?: string; workflowId?: string };
type Status = "idle" | "connecting" | "pending" | "error";
interface Hub {
  add(filter: Filter, onChange: () => void): () => void;
  status: Status;
}

const HubContext = createContext<Hub | null>(null);

function matches(change: RunChange, filter: Filter): boolean {
  if (change.kind === "resync") return true;
  return (!filter.runId || change.runId === filter.runId) && (!filter.workflowId || change.workflowId === filter.workflowId);
}

export function RunChangesProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  // A stable set (never replaced), so the stream's callback and the hooks share it.
  const [listeners] = useState(() => new Set<{ filter: Filter; onChange: () => void }>());
  const stream = useSubscription(
    trpc.run.onChange.subscriptionOptions(
      {},
      {
        onData: (change) => {
          for (const listener of listeners) if (matches(change, listener.filter)) listener.onChange();
        },
      },
    ),
  );
  const status = stream.status as Status;
  const add = useCallback((filter: Filter, onChange: () => void) => {
    const listener = { filter, onChange };
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, [listeners]);
  const hub = useMemo<Hub>(() => ({ add, status }), [add, status]);
  return <HubContext.Provider value={hub}>{children}</HubContext.Provider>;
}

/**
 * Calls `onChange` whenever a run the filter names (its events, its approvals) changes, live
 * over the page's one run-change stream. `null` watches nothing. The one place pages listen to
 * run changes; `status` is the stream's.
 */
export function useRunChanges(filter: Filter | null, onChange: () => void): { status: Status } {
  const hub = useContext(HubContext);
  const latest = useRef(onChange);
  useEffect(() => {
    latest.current = onChange;
  });
  const enabled = filter !== null;
  const runId = filter?.runId;
  const workflowId = filter?.workflowId;
  const add = hub?.add;
  useEffect(() => {
    if (!add || !enabled) return;
    return add({ ...(runId ? { runId } : {}), ...(workflowId ? { workflowId } : {}) }, () => latest.current());
  }, [add, enabled, runId, workflowId]);
  return { status: enabled && hub ? hub.status : "idle" };
}
