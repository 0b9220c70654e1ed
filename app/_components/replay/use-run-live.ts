"use client";

import { useEffect, useState } from "react";

// "Live" for the replay and the runs list, in one place: a tick that changes when a run may have
// moved. Until the run-change feed (`run.onChange`, branch editor-runs) is merged this asks
// again every second while something is unfinished; at the merge only this hook changes.

const LIVE_INTERVAL_MS = 1_000;

export function useRunLive(active: boolean): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setTick((t) => t + 1), LIVE_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [active]);
  return tick;
}

