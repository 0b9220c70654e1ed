"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../_trpc/client";

// Problems of the draft, publishing with a note, the version history with rollback, export.
export function PublishPanel({ workflowId, workflowName }: { workflowId: string; workflowName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const problems = useQuery(trpc.workflow.validate.queryOptions({ id: workflowId }));
  const versions = useQuery(trpc.workflow.versions.queryOptions({ id: workflowId }));
  const [notes, setNotes] = useState("");
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.workflow.versions.queryKey({ id: workflowId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.workflow.get.queryKey({ id: workflowId }) }),
    ]);
  const publish = useMutation(trpc.workflow.publish.mutationOptions({ onSuccess: () => void refresh().then(() => setNotes("")) }));
  const makeCurrent = useMutation(trpc.workflow.setCurrentVersion.mutationOptions({ onSuccess: () => void refresh() }));
  const exportFile = useMutation({
    mutationFn: () => queryClient.fetchQuery(trpc.workflow.export.queryOptions({ id: workflowId })),
    onSuccess: (file) => {
      const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: "application/json" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `${file.slug ?? "workflow"}.keel.json`;
      link.click();
      URL.revokeObjectURL(url);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    publish.mutate({ id: workflowId, notes });
  };
  const list = problems.data ?? [];

  return (
    <section className="panel" aria-labelledby="publish-heading" data-testid="publish-panel">
      <h2 id="publish-heading">Publish</h2>
      {problems.isPending ? (
        <p className="muted">Checking the draft…</p>
      ) : list.length ? (
        <div role="status" data-testid="draft-problems">
          <p>
            <strong>
              {list.length} problem{list.length === 1 ? "" : "s"} to fix before publishing {workflowName}:
            </strong>
          </p>
          <ul className="problems">
            {list.map((p, i) => (
              <li key={i}>
                <code>{p.nodeId ?? p.edgeId ?? "graph"}</code> {p.message}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p data-testid="draft-valid">The draft is valid.</p>
      )}
      <form onSubmit={submit} className="form form-inline">
        <label htmlFor="publish-notes">Notes</label>
        <input id="publish-notes" value={notes} onChange={(e) => setNotes(e.target.value)} placeholder="What changed" maxLength={2000} />
        <button type="submit" className="button-primary" disabled={publish.isPending || list.length > 0}>
          Publish
        </button>
        <button type="button" className="button-quiet" onClick={() => exportFile.mutate()}>
          Export
        </button>
      </form>
      {publish.isError ? (
        <p className="form-error" role="alert">
          {publish.error.message}
        </p>
      ) : publish.data ? (
        <p role="status">{publish.data.unchanged ? `Nothing changed since version ${publish.data.number}.` : `Published version ${publish.data.number}.`}</p>
      ) : null}
      {versions.data && versions.data.length > 0 ? (
        <table className="table" data-testid="version-table">
          <thead>
            <tr>
              <th>Version</th>
              <th>Published</th>
              <th>By</th>
              <th>Notes</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {versions.data.map((v) => (
              <tr key={v.id}>
                <td>v{v.number}</td>
                <td>{new Date(v.createdAt).toLocaleString()}</td>
                <td>{v.publishedBy}</td>
                <td>{v.notes}</td>
                <td>
                  {v.current ? (
                    <span className="badge badge-accent">current</span>
                  ) : (
                    <button type="button" className="button-quiet" onClick={() => makeCurrent.mutate({ id: workflowId, number: v.number })}>
                      Make current
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
