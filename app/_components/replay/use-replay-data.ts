"use client";

import { registry } from "../../../nodes/catalog";
import { edgeIndexFor } from "../canvas/run-overlay";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useReducer, useRef, useState } from "react";
import { useTRPC, useTRPCClient } from "../../_trpc/client";
import { retryUnlessClientError } from "../query-retry";
import { Timeline } from "./timeline";
import type { Mismatch } from "./verifier";
import type { VerifyRequest, VerifyResponse } from "./verify.worker";
import { isFinished } from "../../../engine/runtime/run-status";
import { useRunLive } from "./use-run-live";

// Loads a run for the replay: its summary at once, then its events in pages (the first page
// makes the view interactive; the rest follow in the background) into a Timeline, while a Web
// Worker checks the log against the stored checkpoints and reports mismatches as it finds them.

export const EVENT_PAGE = 2_000;
/** The first page is smaller: it is what makes the view interactive. */
const FIRST_EVENT_PAGE = 500;
const CHECKPOINT_PAGE = 1_000;

export type Verification =
  | { state: "checking" | "verified"; verifiedThrough: number; checked: number; mismatches: Mismatch[] }
  | { state: "pruned" }
  | { state: "unavailable"; reason: string };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function useReplayData(id: string) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const replay = useQuery(trpc.run.replay.queryOptions({ id }, { enabled: id.length > 0, retry: retryUnlessClientError }));
  const status = replay.data?.run.status;
  const live = status !== undefined && !isFinished(status);
  const tick = useRunLive(live, { runId: id });

  const timelineRef = useRef<Timeline | null>(null);
  const [loaded, bump] = useReducer((n: number) => n + 1, 0);
  const [eventsError, setEventsError] = useState<string | null>(null);
  const [allLoaded, setAllLoaded] = useState(false);
  const [verification, setVerification] = useState<Verification>({ state: "checking", verifiedThrough: 0, checked: 0, mismatches: [] });
  const workerRef = useRef<Worker | null>(null);
  const checkpointsAfter = useRef(0);
  const loadingRef = useRef(false);
  const aliveRef = useRef(true);
  useEffect(() => {
    aliveRef.current = true;
    return () => {
      aliveRef.current = false;
    };
  }, []);
  const graph = replay.data?.graph;
  const compiled = replay.data?.compiled;
  const pruned = replay.data?.pruned;

  // The verifier: one worker per run shown. A pruned run's payloads are gone, so its skeleton
  // is shown without a check (and without a false mismatch).
  useEffect(() => {
    if (!compiled || pruned !== false) return;
    // A worker refused (by the browser or the content policy) reports through onerror.
    const worker = new Worker(new URL("./verify.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<VerifyResponse>) => {
      const reply = event.data;
      if (reply.kind === "error") setVerification({ state: "unavailable", reason: reply.message });
      else
        setVerification((v) => ({
          state: "checking",
          verifiedThrough: reply.verifiedThrough,
          checked: reply.checked,
          mismatches: "mismatches" in v ? [...v.mismatches, ...reply.mismatches] : reply.mismatches,
        }));
    };
    worker.onerror = (event) => setVerification({ state: "unavailable", reason: event.message || "the verification worker did not start" });
    worker.postMessage({ kind: "init", compiled } satisfies VerifyRequest);
    // Whatever was loaded before the worker existed.
    const held = timelineRef.current?.all() ?? [];
    if (held.length) worker.postMessage({ kind: "events", events: held.map((e) => ({ seq: e.seq, type: e.type, payload: e.payload })) } satisfies VerifyRequest);
    checkpointsAfter.current = 0;
    workerRef.current = worker;
    return () => {
      worker.terminate();
      workerRef.current = null;
    };
  }, [compiled, pruned]);

  // Events, then the checkpoints up to the last event loaded (they commit together, so none is
  // missing); on each live tick and when the status changes, whatever is new. One load at a
  // time: a tick during a load asks for one more after it.
  const againRef = useRef(false);
  const loadRef = useRef<() => void>(() => undefined);
  loadRef.current = () => {
    if (!graph) return;
    if (!timelineRef.current) timelineRef.current = new Timeline(graph, edgeIndexFor(graph, registry));
    if (loadingRef.current) {
      againRef.current = true;
      return;
    }
    loadingRef.current = true;
    void (async () => {
      try {
        const timeline = timelineRef.current!;
        for (;;) {
          const page = await client.run.eventPage.query({ id, afterSeq: timeline.event(timeline.length - 1)?.seq ?? 0, limit: timeline.length === 0 ? FIRST_EVENT_PAGE : EVENT_PAGE });
          if (!aliveRef.current) return;
          if (page.events.length > 0) {
            timeline.append(page.events);
            workerRef.current?.postMessage({ kind: "events", events: page.events.map((e) => ({ seq: e.seq, type: e.type, payload: e.payload })) } satisfies VerifyRequest);
            bump();
          }
          if (page.nextAfterSeq === null) break;
        }
        const through = timeline.event(timeline.length - 1)?.seq ?? 0;
        while (workerRef.current && aliveRef.current) {
          const page = await client.run.checkpointPage.query({ id, afterSeq: checkpointsAfter.current, limit: CHECKPOINT_PAGE });
          const last = page.checkpoints.at(-1)?.seq;
          if (last !== undefined) checkpointsAfter.current = last;
          const done = page.nextAfterSeq === null;
          workerRef.current?.postMessage({ kind: "checkpoints", checkpoints: page.checkpoints, through: done ? through : (last ?? 0) } satisfies VerifyRequest);
          if (done) break;
        }
        setAllLoaded(true);
      } catch (error) {
        if (aliveRef.current) setEventsError(message(error));
      } finally {
        loadingRef.current = false;
        if (againRef.current && aliveRef.current) {
          againRef.current = false;
          loadRef.current();
        }
      }
    })();
  };
  useEffect(() => loadRef.current(), [client, id, graph, tick, status]);

  // A live run's summary (status, effects, approvals) follows its events.
  const refetch = replay.refetch;
  useEffect(() => {
    if (tick > 0) void refetch();
  }, [tick, refetch]);

  const timeline = timelineRef.current;
  const lastSeq = timeline?.event(timeline.length - 1)?.seq ?? 0;
  // One object while nothing changes, so what shows it does not re-render on every step.
  const settled = verification.state === "checking" && allLoaded && !live && verification.verifiedThrough >= lastSeq;
  const shown: Verification = useMemo(() => (pruned ? { state: "pruned" } : settled ? { ...verification, state: "verified" } : verification), [pruned, settled, verification]);

  return { replay, timeline, loaded, allLoaded, eventsError, verification: shown, live };
}
