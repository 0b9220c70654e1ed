"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { registry } from "../../../nodes/catalog";
import { runOverlay } from "../canvas/run-overlay";
import { useTRPC } from "../../_trpc/client";
import { useRunChanges } from "./use-run-changes";

/**
 * The editor's test run: which run is shown (the latest test run until another starts), its
 * details kept live through run.onChange, and the node states drawn on the canvas.
 */
export function useTestRun(workflowId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [startedRunId, setStartedRunId] = useState<string | null>(null);
  const [selectedNodeId, setSelectedNodeId] = useState<string | null>(null);
  const latest = useQuery(trpc.testRun.latest.queryOptions({ workflowId }, { enabled: workflowId.length > 0 }));
  const runId = startedRunId ?? latest.data?.id ?? null;
  const detail = useQuery(trpc.testRun.detail.queryOptions({ runId: runId ?? "" }, { enabled: runId !== null }));
  // React Query folds an invalidation into a first fetch still in flight, whose answer may
  // predate the change: such a change is remembered and fetched once that fetch settles.
  const missed = useRef(false);
  const refresh = useCallback(() => {
    if (queryClient.isFetching({ queryKey: trpc.testRun.detail.queryKey() }) > 0) missed.current = true;
    void queryClient.invalidateQueries({ queryKey: trpc.testRun.detail.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.testRun.latest.queryKey() });
  }, [queryClient, trpc]);
  const { isFetching, refetch } = detail;
  useEffect(() => {
    if (!isFetching && missed.current) {
      missed.current = false;
      void refetch();
    }
  }, [isFetching, refetch]);
  const live = useRunChanges(runId ? { runId } : null, refresh);
  const overlay = useMemo(() => (detail.data ? runOverlay(detail.data.graph, registry, detail.data.events) : undefined), [detail.data]);
  return {
    runId,
    detail,
    overlay,
    runStates: overlay?.states,
    live: live.status,
    selectedNodeId,
    selectNode: setSelectedNodeId,
    started: (id: string) => {
      setStartedRunId(id);
      refresh();
    },
    refresh,
  };
}

export type TestRunController = ReturnType<typeof useTestRun>;

/**
 * The last test run's data, for the config panel's template completion and preview: the run
 * input and each node's output. `undefined` while loading or when the workflow has no test run.
 */
export function useLastTestRunData(workflowId: string): { input: unknown; outputs: Record<string, unknown> } | undefined {
  const trpc = useTRPC();
  const latest = useQuery(trpc.testRun.latest.queryOptions({ workflowId }, { enabled: workflowId.length > 0 }));
  return latest.data ? { input: latest.data.input, outputs: latest.data.outputs } : undefined;
}
