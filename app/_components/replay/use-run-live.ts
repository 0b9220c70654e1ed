"use client";

import { useState } from "react";
import { useRunChanges } from "../test-run/use-run-changes";

// "Live" for the replay and the runs list, in one place: a tick that changes whenever a run the
// filter names changes, pushed over SSE by the run-change feed (run.onChange), never polled.

export function useRunLive(active: boolean, filter: { runId?: string } = {}): number {
  const [tick, setTick] = useState(0);
  useRunChanges(active ? filter : null, () => setTick((t) => t + 1));
  return tick;
}
