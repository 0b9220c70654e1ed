"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../_trpc/client";
import { WorkflowCanvas } from "../WorkflowCanvas";
import "./versions.css";

type Ref = number | "draft";

const refLabel = (ref: Ref) => (ref === "draft" ? "the draft" : `v${ref}`);
const show = (value: unknown) => (value === undefined ? "—" : JSON.stringify(value));

/** Version history: compare any two versions (or a version and the draft) on the canvas, restore one as the draft, and the runs still on older versions. */
export function VersionsPanel({
  workflowId,
  beforeRestore,
  onRestored,
}: {
  workflowId: string;
  /** Saves the editor's pending edits first (they are in the audit log's detail of the restore). */
  beforeRestore?: () => Promise<void>;
  /** The editor reloads the restored draft. */
  onRestored?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const versions = useQuery(trpc.workflow.versions.queryOptions({ id: workflowId }));
  const waiting = useQuery(trpc.version.waitingOnOlder.queryOptions({ id: workflowId }));
  const [from, setFrom] = useState<Ref | null>(null);
  const [to, setTo] = useState<Ref>("draft");
  const newest = versions.data?.[0]?.number;
  const left = from ?? newest ?? null;
  // The diff is drawn on request: a second canvas on the page only when the operator asks.
  const [compared, setCompared] = useState<{ from: Ref; to: Ref } | null>(null);
  const diff = useQuery(trpc.version.diff.queryOptions({ id: workflowId, from: compared?.from ?? 1, to: compared?.to ?? "draft" }, { enabled: compared !== null }));
  const restore = useMutation(
    trpc.version.restoreAsDraft.mutationOptions({
      onSuccess: async () => {
        await Promise.all([queryClient.invalidateQueries({ queryKey: trpc.workflow.get.queryKey() }), queryClient.invalidateQueries({ queryKey: trpc.version.diff.queryKey() })]);
        onRestored?.();
      },
    }),
  );
  const [selected, setSelected] = useState<string | null>(null);

  if (versions.isPending) return <p className="state" role="status">Loading versions…</p>;
  if (versions.isError) return <div className="state state-error" role="alert">Could not load versions. {versions.error.message}</div>;
  if (versions.data.length === 0) {
    return (
      <section className="panel" data-testid="versions-panel">
        <h2>Versions</h2>
        <p className="muted">Nothing published yet: publish to start the history.</p>
      </section>
    );
  }
  const options: Ref[] = ["draft", ...versions.data.map((v) => v.number)];
  const parse = (value: string): Ref => (value === "draft" ? "draft" : Number(value));
  const changedNodes = diff.data ? Object.entries(diff.data.nodes) : [];

  return (
    <section className="panel" data-testid="versions-panel" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {waiting.data && waiting.data.total > 0 ? (
        <div className="callout" data-testid="waiting-on-older">
          {waiting.data.total} run{waiting.data.total === 1 ? "" : "s"} still on older versions (they finish on the version they started on):
          <ul>
            {waiting.data.groups.map((g) => (
              <li key={`${g.version}-${g.nodeId ?? ""}`}>
                v{g.version}: {g.count} {g.nodeId ? `waiting at '${g.nodeId}'` : "not waiting at a node"}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <ul className="version-list">
        {versions.data.map((v) => (
          <li key={v.id}>
            <strong>v{v.number}</strong> {v.current ? <span className="badge badge-accent">current</span> : null} <span className="muted">{new Date(v.createdAt).toLocaleString()}</span> {v.notes}
            <button type="button" className="button-quiet version-restore" disabled={restore.isPending} onClick={async () => {
                await beforeRestore?.();
                restore.mutate({ id: workflowId, number: v.number });
              }}>
              Restore v{v.number} as draft
            </button>
          </li>
        ))}
      </ul>
      {restore.isError ? <p className="form-error" role="alert">{restore.error.message}</p> : null}
      {restore.isSuccess ? <p role="status">Restored v{restore.variables.number} as the draft.</p> : null}

      <div className="version-compare">
        <label>
          Compare
          <select aria-label="Compare from" value={String(left)} onChange={(e) => setFrom(parse(e.target.value))}>
            {options.map((o) => (
              <option key={String(o)} value={String(o)}>
                {o === "draft" ? "Draft" : `v${o}`}
              </option>
            ))}
          </select>
        </label>
        <label>
          with
          <select aria-label="Compare with" value={String(to)} onChange={(e) => setTo(parse(e.target.value))}>
            {options.map((o) => (
              <option key={String(o)} value={String(o)}>
                {o === "draft" ? "Draft" : `v${o}`}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button-quiet" disabled={left === null || left === to} onClick={() => left !== null && setCompared({ from: left, to })}>
          Show changes
        </button>
        {compared ? (
          <button type="button" className="button-quiet" onClick={() => setCompared(null)}>
            Hide
          </button>
        ) : null}
      </div>
      {left === to ? <p className="muted">Pick two different versions to compare.</p> : null}
      {diff.isError ? <p className="form-error" role="alert">{diff.error.message}</p> : null}
      {diff.data && compared ? (
        <div data-testid="version-diff">
          <p className="muted" data-testid="diff-summary">
            {changedNodes.length === 0 && diff.data.edges.added.length === 0 && diff.data.edges.removed.length === 0
              ? `No changes from ${refLabel(compared.from)} to ${refLabel(compared.to)}.`
              : `From ${refLabel(compared.from)} to ${refLabel(compared.to)}: ${changedNodes.length} node${changedNodes.length === 1 ? "" : "s"} differ, ${diff.data.edges.added.length} edge${diff.data.edges.added.length === 1 ? "" : "s"} added, ${diff.data.edges.removed.length} removed.`}
          </p>
          <WorkflowCanvas graph={diff.data.graph} highlights={diff.data.nodes} selectedNodeId={selected} onNodeClick={setSelected} height={360} />
          {changedNodes.length > 0 ? (
            <ul className="diff-list" data-testid="diff-fields">
              {changedNodes.map(([nodeId, change]) => (
                <li key={nodeId} data-node-id={nodeId} data-change={change}>
                  <strong>{diff.data.labels[nodeId] ?? nodeId}</strong> <span className={`diff-badge diff-${change}`}>{change}</span>
                  {diff.data.fields[nodeId] ? (
                    <ul>
                      {diff.data.fields[nodeId].map((f) => (
                        <li key={f.path}>
                          <code>{f.path}</code>: <del>{show(f.before)}</del> → <ins>{show(f.after)}</ins>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
