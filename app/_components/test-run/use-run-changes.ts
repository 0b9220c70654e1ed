"use client";

import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "../../_trpc/client";

/**
 * Calls `onChange` whenever a run the filter names (its events, its approvals) changes, live
 * over SSE (run.onChange). `null` watches nothing. The one place pages subscribe to run changes.
 */
export function useRunChanges(filter: { runId?: string; workflowId?: string } | null, onChange: () => void) {
  const trpc = useTRPC();
  return useSubscription(trpc.run.onChange.subscriptionOptions(filter ?? {}, { enabled: filter !== null, onData: onChange }));
}
