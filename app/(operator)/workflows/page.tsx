"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ImportButton } from "../../_components/ImportButton";
import { ListStates } from "../../_components/ListStates";
import { retryUnlessClientError } from "../../_components/query-retry";
import { useTRPC } from "../../_trpc/client";

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export default function WorkflowsPage() {
  const trpc = useTRPC();
  const workflows = useQuery(trpc.workflow.list.queryOptions(undefined, { retry: retryUnlessClientError }));

  return (
    <section>
      <div className="page-header">
        <h1>Workflows</h1>
        <ImportButton />
      </div>

      <ListStates query={workflows} what="workflows" empty="No workflows yet">
        {(list) => (
          <ul className="card-list" data-testid="workflow-list">
            {list.map((w) => (
              <li key={w.id} className="card" data-testid="workflow-item">
                <div className="card-main">
                  <Link href={`/workflows/${encodeURIComponent(w.id)}`} className="card-title">
                    {w.name}
                  </Link>
                  {w.description ? (
                    <p className="card-description">{w.description}</p>
                  ) : (
                    <p className="card-description muted">No description</p>
                  )}
                </div>
                <dl className="card-meta">
                  <div>
                    <dt>Nodes</dt>
                    <dd data-testid="workflow-node-count">{plural(w.nodeCount, "node", "nodes")}</dd>
                  </div>
                  <div>
                    <dt>Published</dt>
                    <dd data-testid="workflow-version">
                      {w.currentVersion === null ? (
                        <span className="badge badge-muted">draft only</span>
                      ) : (
                        <span className="badge badge-accent">v{w.currentVersion}</span>
                      )}
                    </dd>
                  </div>
                </dl>
              </li>
            ))}
          </ul>
        )}
      </ListStates>
    </section>
  );
}
