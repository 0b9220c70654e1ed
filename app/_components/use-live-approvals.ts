"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../_trpc/client";

// "Live" for the approval count and queue, in one place: polled until the run-change
// subscription (run.onChange) lands, when this hook switches to invalidating on its events.
export const LIVE_REFRESH_MS = 3_000;

export function usePendingApprovalCount(): number {
  const trpc = useTRPC();
  return useQuery(trpc.approval.count.queryOptions(undefined, { refetchInterval: LIVE_REFRESH_MS })).data?.pending ?? 0;
}

export function useLiveApprovalQueue() {
  const trpc = useTRPC();
  return useQuery(trpc.approval.queue.queryOptions(undefined, { refetchInterval: LIVE_REFRESH_MS }));
}
