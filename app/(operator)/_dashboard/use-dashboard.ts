"use client";

import { useQuery } from "@tanstack/react-query";
import { retryUnlessClientError } from "../../_components/query-retry";
import { useTRPC } from "../../_trpc/client";

// The one place the dashboard decides how it stays current. Until the run-change feed
// (`run.onChange`) is on this branch it asks again every 10 s; with the feed, invalidate the
// query on each change instead (a burst of changes then costs one read).
const REFRESH_MS = 10_000;

export function useDashboard(days: number) {
  const trpc = useTRPC();
  return useQuery(
    trpc.metrics.dashboard.queryOptions(
      { days },
      { retry: retryUnlessClientError, refetchInterval: REFRESH_MS, placeholderData: (previous) => previous },
    ),
  );
}
