"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useState } from "react";
import { retryUnlessClientError } from "../../../_components/query-retry";
import { routeParam } from "../../../_components/route-param";
import { useTRPC } from "../../../_trpc/client";

export default function MemorySubjectPage() {
  const params = useParams<{ subject: string }>();
  const subject = routeParam(params?.subject);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const detail = useQuery(trpc.memory.subject.queryOptions({ subject }, { enabled: subject.length > 0, retry: retryUnlessClientError }));
  const [confirming, setConfirming] = useState(false);
  const forget = useMutation(
    trpc.memory.forget.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.memory.pathKey() });
        router.push("/memory");
      },
    }),
  );

  return (
    <section>
      <p className="breadcrumb">
        <Link href="/memory">Memory</Link> /
      </p>
      <div className="page-header">
        <h1>{subject}</h1>
      </div>
      {detail.isPending ? (
        <p className="state" role="status">
          Loading…
        </p>
      ) : detail.isError ? (
        <div className="state state-error" role="alert">
          <strong>Could not load this subject.</strong> {detail.error.message}
        </div>
      ) : (
        <>
          <section className="panel" aria-labelledby="summary-heading">
            <h2 id="summary-heading">Summary</h2>
            {detail.data.summary ? (
              <p data-testid="memory-summary">
                {detail.data.summary.text}{" "}
                <span className="muted">
                  ({detail.data.summary.method}, {detail.data.summary.itemCount} item(s), {new Date(detail.data.summary.refreshedAt).toLocaleString()})
                </span>
              </p>
            ) : (
              <p className="muted">No summary yet: the worker writes one shortly after items arrive.</p>
            )}
          </section>
          <section className="panel" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline ({detail.data.itemCount})</h2>
            <table className="table" data-testid="memory-timeline">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Kind</th>
                  <th>Text</th>
                  <th>From</th>
                </tr>
              </thead>
              <tbody>
                {detail.data.items.map((item) => (
                  <tr key={item.id} data-testid="memory-item">
                    <td>{new Date(item.createdAt).toLocaleString()}</td>
                    <td>
                      <code>{item.kind}</code>
                      {item.indexed ? null : <span className="badge badge-warning">not indexed yet</span>}
                    </td>
                    <td style={{ whiteSpace: "pre-wrap" }}>{item.text}</td>
                    <td>
                      {item.provenance.runId ? (
                        // No prefetch: a long timeline would fetch every run's page up front.
                        <Link href={`/runs/${encodeURIComponent(item.provenance.runId)}`} prefetch={false}>
                          run {item.provenance.runId.slice(-8)}
                          {item.provenance.nodeId ? ` · ${item.provenance.nodeId}` : ""}
                        </Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                      {item.provenance.approvalId ? <span className="muted"> (approved)</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="panel" aria-labelledby="forget-heading">
            <h2 id="forget-heading">Forget</h2>
            <p className="muted">
              Deletes every item about {subject} and its summary, removes them from the search index, and replaces the payloads of the run events
              that carried them with tombstones. This cannot be undone.
            </p>
            {confirming ? (
              <div className="form form-inline" role="group" aria-label="Confirm forgetting">
                <strong>Forget {subject} for good?</strong>
                <button type="button" className="button-primary" disabled={forget.isPending} onClick={() => forget.mutate({ subject })}>
                  Yes, forget
                </button>
                <button type="button" className="button-quiet" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            ) : (
              <button type="button" className="button-quiet" onClick={() => setConfirming(true)}>
                Forget this subject…
              </button>
            )}
            {forget.isError ? (
              <p className="form-error" role="alert">
                {forget.error.message}
              </p>
            ) : null}
          </section>
        </>
      )}
    </section>
  );
}
