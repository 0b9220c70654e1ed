"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_trpc/client";

function describe(detail: unknown): string {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

export default function AuditPage() {
  const trpc = useTRPC();
  const audit = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions({ limit: 50 }, { getNextPageParam: (page) => page.nextCursor }),
  );
  const entries = audit.data?.pages.flatMap((page) => page.entries) ?? [];

  return (
    <section>
      <div className="page-header">
        <h1>Audit log</h1>
      </div>
      <p className="muted">Every operator action, newest first: sign-ins, changes to workflows, tokens, settings, backups.</p>
      {audit.isPending ? (
        <p className="state" role="status">
          Loading…
        </p>
      ) : audit.isError ? (
        <div className="state state-error" role="alert">
          <strong>Could not load the audit log.</strong> {audit.error.message}
        </div>
      ) : entries.length === 0 ? (
        <p className="state state-empty">Nothing recorded yet</p>
      ) : (
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} data-testid="audit-row">
                <td>{new Date(entry.createdAt).toLocaleString()}</td>
                <td>{entry.actor}</td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>{entry.targetType ? `${entry.targetType} ${entry.targetId ?? ""}` : ""}</td>
                <td>{describe(entry.detail)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {audit.hasNextPage ? (
        <button type="button" className="button-quiet" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
          Older entries
        </button>
      ) : null}
    </section>
  );
}
