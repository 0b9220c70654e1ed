import type { ReactNode } from "react";

/** The loading, error and empty states every list page shows, the same way everywhere. */
export function ListStates<T>({
  query,
  what,
  empty,
  children,
}: {
  query: { isPending: boolean; isError: boolean; error: { message: string } | null; data: T[] | undefined };
  /** Lower-case plural, e.g. "workflows". */
  what: string;
  empty: string;
  children: (items: T[]) => ReactNode;
}) {
  if (query.isPending) {
    return (
      <p className="state" role="status">
        Loading {what}…
      </p>
    );
  }
  if (query.isError || !query.data) {
    return (
      <div className="state state-error" role="alert">
        <strong>Could not load {what}.</strong> {query.error?.message}
      </div>
    );
  }
  if (query.data.length === 0) return <p className="state state-empty">{empty}</p>;
  return <>{children(query.data)}</>;
}
