import { json, type Db } from "../../engine/store";

// The one function every operator action goes through. An action that changes something
// writes its audit entry in the same transaction where it can (pass the transaction client).

export interface AuditEntry {
  /** "operator", "cli", "api-token:<id>", "system". */
  actor: string;
  /** Dotted verb, e.g. "auth.login", "workflow.save_draft", "backup.create". */
  action: string;
  targetType?: string;
  targetId?: string;
  /** Never secrets: names, counts, ids. */
  detail?: Record<string, unknown>;
}

type AuditWriter = Pick<Db, "auditLog">;

export async function audit(db: AuditWriter, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      actor: entry.actor,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      detail: entry.detail === undefined ? undefined : json(entry.detail),
    },
  });
}

export interface AuditRow {
  id: string;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: unknown;
  createdAt: string;
}

/** Newest first; `after` is the id of the last entry of the previous page. */
export async function listAudit(db: Db, options: { limit: number; after?: string }): Promise<{ entries: AuditRow[]; nextCursor: string | null }> {
  const rows = await db.auditLog.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    ...(options.after ? { cursor: { id: options.after }, skip: 1 } : {}),
    take: options.limit + 1,
  });
  const page = rows.slice(0, options.limit);
  return {
    entries: page.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    nextCursor: rows.length > options.limit ? page[page.length - 1]!.id : null,
  };
}
