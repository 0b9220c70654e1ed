"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useRunChanges } from "./test-run/use-run-changes";
import { useTRPC } from "../_trpc/client";

// "Live" for the approval count and queue, in one place: refetched when the run-change feed
// (run.onChange over SSE) says a run or one of its approvals changed.

function useRefetchOnRunChange(queryKey: readonly unknown[]) {
  const queryClient = useQueryClient();
  const refetch = useCallback(() => void queryClient.invalidateQueries({ queryKey }), [queryClient, queryKey]);
  useRunChanges({}, refetch);
}

export function usePendingApprovalCount(): number {
  const trpc = useTRPC();
  useRefetchOnRunChange(trpc.approval.count.queryKey());
  const count = useQuery(trpc.approval.count.queryOptions()).data;
  // Requests waiting to be routed sit in the same queue, so the badge counts them too.
  return (count?.pending ?? 0) + (count?.triage ?? 0);
}

export function useLiveApprovalQueue() {
  const trpc = useTRPC();
  useRefetchOnRunChange(trpc.approval.queue.queryKey());
  return useQuery(trpc.approval.queue.queryOptions());
}
