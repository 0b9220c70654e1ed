// What an operator changed in a proposal before approving it: one entry per changed path, shown
// on the approval page before they confirm and written to the audit log after. Browser-safe.

export interface ProposalChange {
  /** Dotted path into the proposal; "" when the proposal itself is not an object. */
  path: string;
  before: unknown;
  after: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function proposalDiff(before: unknown, after: unknown, path = ""): ProposalChange[] {
  if (isObject(before) && isObject(after)) {
    // Sorted: Postgres keeps JSON keys in its own order, and the record must not depend on it.
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => proposalDiff(before[key], after[key], path ? `${path}.${key}` : key));
  }
  return JSON.stringify(before ?? null) === JSON.stringify(after ?? null) ? [] : [{ path, before: before ?? null, after: after ?? null }];
}
