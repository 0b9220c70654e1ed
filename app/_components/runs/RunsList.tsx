"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "../../_trpc/client";
import { isFinished, RUN_STATUSES, type RunStatus } from "../../../engine/runtime/run-status";
import { useRunLive } from "../replay/use-run-live";
import "../replay/replay.css";

// Every run, newest first: filters by workflow, version, status, test or real, and time; a
// search in input and output; a virtualized list that loads further pages as it scrolls; the
// statuses of the rows in view kept live.

const STATUSES = RUN_STATUSES;
type Status = RunStatus;
const ROW = 40;
const PAGE = 200;

export interface RunFilters {
  workflowId: string;
  versionId: string;
  status: Status | "";
  kind: "" | "test" | "real";
  from: string;
  to: string;
  search: string;
}

const EMPTY_FILTERS: RunFilters = { workflowId: "", versionId: "", status: "", kind: "", from: "", to: "", search: "" };

/** A `datetime-local` value (the operator's local time) as an ISO instant. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

function useDebounced<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setShown(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

export function RunsList({ initial }: { initial?: Partial<RunFilters> }) {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<RunFilters>({ ...EMPTY_FILTERS, ...initial });
  const search = useDebounced(filters.search.trim(), 250);
  const set = (patch: Partial<RunFilters>) => setFilters((f) => ({ ...f, ...patch }));
  const options = useQuery(trpc.run.listFilters.queryOptions());
  const versions = options.data?.workflows.find((w) => w.id === filters.workflowId)?.versions ?? [];

  const input = {
    limit: PAGE,
    ...(filters.workflowId ? { workflowId: filters.workflowId } : {}),
    ...(filters.versionId ? { versionId: filters.versionId } : {}),
    ...(filters.status ? { status: [filters.status] } : {}),
    ...(filters.kind ? { kind: filters.kind } : {}),
    ...(filters.from ? { from: instant(filters.from) } : {}),
    ...(filters.to ? { to: instant(filters.to) } : {}),
    ...(search ? { search } : {}),
  };
  const runs = useInfiniteQuery(trpc.run.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor ?? undefined }));
  const rows = useMemo(() => runs.data?.pages.flatMap((p) => p.runs) ?? [], [runs.data]);

  const listRef = useRef<HTMLDivElement>(null);
  // TanStack Virtual returns fresh functions each render by design; Keel does not run the React
  // Compiler, so nothing memoizes this component behind its back.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => listRef.current, estimateSize: () => ROW, overscan: 10 });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.at(-1)?.index ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = runs;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastShown >= rows.length - 20) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, lastShown, rows.length]);

  // Live: the unfinished rows in view ask for their status again each tick.
  const unfinishedInView = items.map((i) => rows[i.index]).filter((r) => r && !isFinished(r.status)).map((r) => r!.id);
  const tick = useRunLive(unfinishedInView.length > 0);
  const live = useQuery(trpc.run.statuses.queryOptions({ ids: unfinishedInView }, { enabled: unfinishedInView.length > 0, placeholderData: (previous) => previous }));
  const liveRefetch = live.refetch;
  useEffect(() => {
    if (tick > 0) void liveRefetch();
  }, [tick, liveRefetch]);

  return (
    <>
      <form className="runs-filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Workflow
          <select value={filters.workflowId} onChange={(e) => set({ workflowId: e.target.value, versionId: "" })}>
            <option value="">All workflows</option>
            {options.data?.workflows.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Version
          <select value={filters.versionId} onChange={(e) => set({ versionId: e.target.value })} disabled={!filters.workflowId}>
            <option value="">All versions</option>
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                v{v.number}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filters.status} onChange={(e) => set({ status: e.target.value as Status | "" })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={filters.kind} onChange={(e) => set({ kind: e.target.value as RunFilters["kind"] })}>
            <option value="">Test and real</option>
            <option value="real">Real runs</option>
            <option value="test">Test runs</option>
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" value={filters.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" value={filters.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        <label style={{ flex: "1 1 200px" }}>
          Search input and output
          <input type="search" value={filters.search} placeholder="e.g. an email address" onChange={(e) => set({ search: e.target.value })} />
        </label>
      </form>
      {runs.isPending ? (
        <p className="state" role="status">
          Loading runs…
        </p>
      ) : runs.isError ? (
        <div className="state state-error" role="alert">
          <strong>Could not load runs.</strong> {runs.error.message}
        </div>
      ) : rows.length === 0 ? (
        <p className="state state-empty" data-testid="runs-empty">
          {Object.values(input).length > 1 ? "No run matches these filters." : "No runs yet. Start one with a workflow's Run button."}
        </p>
      ) : (
        <div ref={listRef} className="runs-list" data-testid="runs-list" role="table" aria-label="Runs" aria-rowcount={rows.length}>
          <div className="runs-row runs-head" role="row" style={{ position: "sticky" }}>
            <span role="columnheader">Workflow</span>
            <span role="columnheader">Version</span>
            <span role="columnheader">Status</span>
            <span role="columnheader">Kind</span>
            <span role="columnheader">Started</span>
            <span role="columnheader">Cost</span>
          </div>
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {items.map((item) => {
              const run = rows[item.index]!;
              const status = live.data?.[run.id]?.status ?? run.status;
              const heldBy = live.data?.[run.id] ? live.data[run.id]!.heldBy : run.heldBy;
              return (
                <Link key={run.id} href={`/runs/${encodeURIComponent(run.id)}`} className="runs-row" role="row" style={{ top: item.start }} data-testid="run-row" data-run-id={run.id} prefetch={false}>
                  <span role="cell" className="replay-event-node">
                    {run.workflowName}
                  </span>
                  <span role="cell">v{run.version}</span>
                  <span role="cell">
                    {heldBy ? (
                      <span className="run-status" data-status={status} data-held="" data-testid="run-row-status" title={`Held by budget: ${heldBy}`}>
                        held by budget: {heldBy}
                      </span>
                    ) : (
                      <span className="run-status" data-status={status} data-testid="run-row-status">
                        {status}
                      </span>
                    )}
                  </span>
                  <span role="cell">{run.test ? "test" : "real"}</span>
                  <span role="cell" className="replay-event-time">
                    {new Date(run.createdAt).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" })}
                  </span>
                  <span role="cell" className="replay-event-time">
                    {run.costTokens ? `${run.costTokens} tok` : "—"}
                  </span>
                </Link>
              );
            })}
          </div>
        </div>
      )}
    </>
  );
}
