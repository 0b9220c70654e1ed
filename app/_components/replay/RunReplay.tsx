"use client";

import Link from "next/link";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Graph } from "../../../engine/graph/schema";
import { WorkflowCanvas } from "../WorkflowCanvas";
import { ReplayTimeline, BASE_STEP_MS, type Speed } from "./ReplayTimeline";
import { RunActions } from "./RunActions";
import { StepPanel } from "./StepPanel";
import { stepDetails } from "./step-details";
import { useReplayData, type Verification } from "./use-replay-data";
import "./replay.css";

// The replay of one run: its pinned version on the read-only canvas with every node's state at
// the point shown, the timeline, the side panel for the selected step, the verification of the
// log against the checkpoints, and the operator's actions. `?step=N` opens it at event N.

const TRIGGER_PREFIX = "trigger.";
const URL_SETTLE_MS = 250;

const upstreamOf = (graph: Graph, nodeId: string) => [...new Set(graph.edges.filter((e) => e.target === nodeId).map((e) => e.source))];

// Memoized, like RunSummary below: a step re-renders only what depends on the position.
const VerificationBanner = memo(function VerificationBanner({ verification, onJump }: { verification: Verification; onJump: (seq: number) => void }) {
  if (verification.state === "pruned") {
    return (
      <p className="replay-banner replay-banner-muted" data-testid="replay-verification" data-state="pruned">
        <strong>Pruned.</strong> Retention replaced this run's payloads with tombstones: the skeleton of what happened (which step, when) is shown, but inputs and outputs are gone, so it cannot be checked against its checkpoints.
      </p>
    );
  }
  if (verification.state === "unavailable") {
    return (
      <p className="replay-banner replay-banner-danger" role="alert" data-testid="replay-verification" data-state="unavailable">
        Could not check this run's history against its checkpoints: {verification.reason}
      </p>
    );
  }
  if (verification.mismatches.length > 0) {
    return (
      <div className="replay-banner replay-banner-danger" role="alert" data-testid="replay-verification" data-state="mismatch">
        <strong>History and checkpoints disagree.</strong> Replaying the event log through the workflow's compiled machine does not give the stored checkpoint at{" "}
        {verification.mismatches.map((m, i) => (
          <span key={m.seq}>
            {i > 0 ? ", " : ""}
            <button type="button" className="button-quiet" onClick={() => onJump(m.seq)} data-testid="mismatch-seq">
              event {m.seq}
            </button>{" "}
            ({m.paths.join(", ")})
          </span>
        ))}
        . The stored state was changed outside Keel, or the run was written by a different engine.
      </div>
    );
  }
  return (
    <p className={`replay-banner ${verification.state === "verified" ? "replay-banner-ok" : "replay-banner-muted"}`} data-testid="replay-verification" data-state={verification.state}>
      {verification.state === "verified"
        ? `Verified: replaying the log reproduces all ${verification.checked} checkpoints.`
        : `Checking the log against the checkpoints… ${verification.checked} so far, through event ${verification.verifiedThrough}.`}
    </p>
  );
});

type RunRow = NonNullable<ReturnType<typeof useReplayData>["replay"]["data"]>["run"];

/** The run's facts under the title: the same for every position of the replay. */
const RunSummary = memo(function RunSummary({ run }: { run: RunRow }) {
  return (
    <>
      <p className="description">
        <code>{run.id}</code> · started {new Date(run.createdAt).toLocaleString()} by {run.trigger}
        {run.finishedAt ? ` · finished ${new Date(run.finishedAt).toLocaleString()}` : ""} · {run.costTokens} tokens · {run.costUnits.toFixed(4)} units
        {run.originRunId ? (
          <>
            {" · "}from <Link href={`/runs/${encodeURIComponent(run.originRunId)}${run.originSeq ? `?step=${run.originSeq}` : ""}`}>run {run.originRunId}</Link>
          </>
          ) : null}
          {run.parentRunId ? (
            <>
              {" · "}sub-workflow of <Link href={`/runs/${encodeURIComponent(run.parentRunId)}`}>run {run.parentRunId}</Link>
            </>
          ) : null}
        </p>
        {run.heldBy ? (
          <p className="replay-banner replay-banner-muted" data-testid="budget-hold">
            <strong>Held by budget: {run.heldBy.budget ?? "a budget"}.</strong> {run.heldBy.detail} Raise the cap on the <Link href="/">dashboard</Link> to resume it now.
          </p>
        ) : null}
    </>
  );
});

export function RunReplay({ id, initialStep }: { id: string; initialStep: number | null }) {
  const { replay, timeline, loaded, eventsError, verification, live } = useReplayData(id);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<Speed>(1);
  const [pickedNode, setPickedNode] = useState<string | null>(null);
  const length = timeline?.length ?? 0;

  // Where the view stands: where the operator moved it; before that the deep-linked step, or
  // the end (so a live run's view follows its end until the operator moves).
  const [moved, setMoved] = useState<number | null>(null);
  const opening = timeline && initialStep !== null ? Math.max(0, timeline.indexOfSeq(initialStep)) : length - 1;
  const index = length === 0 ? null : Math.min(moved ?? opening, length - 1);
  const indexRef = useRef(index);
  useEffect(() => {
    indexRef.current = index;
  }, [index]);

  const move = useCallback((to: number) => {
    setPickedNode(null);
    setMoved(to);
  }, []);

  // Playback: one event per tick, 1×–10×; stops at the end.
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => {
      const next = (indexRef.current ?? -1) + 1;
      if (next >= length - 1) setPlaying(false);
      setMoved(Math.min(next, length - 1));
      setPickedNode(null);
    }, BASE_STEP_MS / speed);
    return () => clearInterval(timer);
  }, [playing, speed, length]);
  const togglePlay = useCallback(
    (on: boolean) => {
      if (on && indexRef.current !== null && indexRef.current >= length - 1) setMoved(0);
      setPlaying(on);
    },
    [length],
  );

  // The address says where the replay stands, so it can be shared and reloaded. Written once the
  // position rests: each history.replaceState also makes Next's router re-render the page, too
  // much to do on every step of a scrub.
  const event = index !== null ? timeline?.event(index) : undefined;
  useEffect(() => {
    if (!event) return;
    const timer = setTimeout(() => {
      const url = new URL(window.location.href);
      if (url.searchParams.get("step") === String(event.seq)) return;
      url.searchParams.set("step", String(event.seq));
      window.history.replaceState(window.history.state, "", url);
    }, URL_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [event]);

  const point = useMemo(() => (timeline && index !== null ? timeline.at(index) : { states: {}, takenEdges: {} }), [timeline, index, loaded]); // eslint-disable-line react-hooks/exhaustive-deps
  const data = replay.data;
  const selectedNodeId = pickedNode ?? event?.nodeId ?? null;
  const node = data && selectedNodeId ? (data.graph.nodes.find((n) => n.id === selectedNodeId) ?? null) : null;
  const details = useMemo(
    () => (data && timeline && node && index !== null ? stepDetails(timeline.all(), (id) => timeline.indexesOf(id), index, node.id, data.effects, data.run.input, node.type.startsWith(TRIGGER_PREFIX), upstreamOf(data.graph, node.id)) : null),
    [data, timeline, node, index, loaded], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const mismatchSeqs = useMemo(() => new Set("mismatches" in verification ? verification.mismatches.map((m) => m.seq) : []), [verification]);
  const failedSeq = useMemo(() => {
    const all = timeline?.all() ?? [];
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.type === "node.failed") return all[i]!.seq;
    return null;
  }, [timeline, loaded]); // eslint-disable-line react-hooks/exhaustive-deps
  const jump = useCallback((seq: number) => timeline && move(Math.max(0, timeline.indexOfSeq(seq))), [timeline, move]);
  const onNodeClick = useCallback((nodeId: string) => setPickedNode(nodeId), []);

  if (replay.isPending) {
    return (
      <p className="state" role="status">
        Loading run…
      </p>
    );
  }
  if (replay.isError || !data) {
    return (
      <div className="state state-error" role="alert">
        <strong>{replay.error?.data?.code === "NOT_FOUND" ? "Run not found." : "Could not load this run."}</strong> {replay.error?.message}
      </div>
    );
  }
  const run = data.run;
  return (
    <>
      <title>{`Run of ${run.workflowName} · Keel`}</title>
      <div className="page-header">
        <h1>Run of {run.workflowName}</h1>
        {run.heldBy ? (
          <span className="run-status" data-status={run.status} data-held="" data-testid="run-status">
            held by budget: {run.heldBy.budget ?? "a budget"}
          </span>
        ) : (
          <span className="run-status" data-status={run.status} data-testid="run-status">
            {run.status}
          </span>
        )}
        <span className="badge badge-muted">v{run.version}</span>
        {live ? <span className="badge badge-accent">live</span> : null}
        <RunActions
          runId={run.id}
          status={run.status}
          forkSeq={event?.seq ?? null}
          forkInput={run.input}
          failedSeq={run.status === "failed" ? failedSeq : null}
          deadLetterId={data.openDeadLetter?.id ?? null}
        />
      </div>
      <RunSummary run={run} />
      <div className="replay-grid">
        <div className="replay-main">
          <VerificationBanner verification={verification} onJump={jump} />
          {event && mismatchSeqs.has(event.seq) ? (
            <p className="replay-banner replay-banner-danger" data-testid="mismatch-here">
              The stored checkpoint at this event differs from the replayed state.
            </p>
          ) : null}
          <WorkflowCanvas graph={data.graph} runStates={point.states} takenEdges={point.takenEdges} selectedNodeId={selectedNodeId} onNodeClick={onNodeClick} height={320} />
          {eventsError ? (
            <div className="state state-error" role="alert">
              <strong>Could not load the run's events.</strong> {eventsError}
            </div>
          ) : length === 0 ? (
            <p className="state state-empty">{run.status === "queued" ? "Queued: no worker has started this run yet." : "This run has no events."}</p>
          ) : (
            <ReplayTimeline
              events={timeline!.all()}
              total={Math.max(data.eventCount, length)}
              index={index ?? 0}
              onIndex={move}
              playing={playing}
              onPlaying={togglePlay}
              speed={speed}
              onSpeed={setSpeed}
              mismatchSeqs={mismatchSeqs}
            />
          )}
        </div>
        <StepPanel node={node} status={node ? point.states[node.id] : undefined} details={details} approvals={data.approvals} memoryItems={data.memoryItems} memoryUsed={data.memoryUsed} />
      </div>
    </>
  );
}
