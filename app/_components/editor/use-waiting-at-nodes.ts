"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useTRPC } from "../../_trpc/client";
import { useRunChanges } from "../test-run/use-run-changes";

/** Live runs waiting at each pause point of a workflow, refetched when one of its runs changes (run.onChange). */
export function useWaitingAtNodes(workflowId: string): Record<string, number> | undefined {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = trpc.approval.waitingAtNodes.queryOptions({ workflowId });
  const refetch = useCallback(
    () => void queryClient.invalidateQueries({ queryKey: trpc.approval.waitingAtNodes.queryKey({ workflowId }) }),
    [queryClient, trpc, workflowId],
  );
  useRunChanges({ workflowId }, refetch);
  return useQuery(options).data?.nodes;
}
