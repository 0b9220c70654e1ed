"use client";

import * as Tabs from "@radix-ui/react-tabs";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Countdown } from "../../_components/Countdown";
import { TriageRows } from "../../_components/intents/TriageQueue";
import { ListStates } from "../../_components/ListStates";
import styles from "../../_components/operations.module.css";
import { useKeys } from "../../_components/use-keys";
import { useLiveApprovalQueue } from "../../_components/use-live-approvals";
import { useTRPC } from "../../_trpc/client";

// The approval queue: what waits, nearest deadline first, then the oldest. Keyboard driven:
// j/k move, x selects, a approves as proposed, r and e open the item to reject or edit, Enter
// opens it. Low-risk items can be selected and approved together. The Decided tab keeps the
// history, with the rule that approved an item when a rule did, and takes autonomy back.
// Requests the intent router was unsure about wait here too, as rows of their own kind whose
// action is choosing the workflow (Tab reaches their select and Route button).

function RiskBadge({ risk }: { risk: string }) {
  return <span className={`badge ${risk === "high" ? styles.riskHigh : risk === "medium" ? "badge-warning" : "badge-muted"}`}>{risk} risk</span>;
}

function age(iso: string): string {
  const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60_000));
  return minutes < 60 ? `${minutes} min ago` : minutes < 1_440 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1_440)} d ago`;
}

function Queue() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const queue = useLiveApprovalQueue();
  const [focus, setFocus] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.approval.queue.queryKey() }), queryClient.invalidateQueries({ queryKey: trpc.approval.count.queryKey() })]);
  const approve = useMutation(trpc.approval.submit.mutationOptions({ onSettled: refresh }));
  const bulk = useMutation(
    trpc.approval.bulkApprove.mutationOptions({
      onSuccess: (result) => {
        setSelected(new Set());
        const refused = result.results.filter((r) => !r.ok);
        setMessage(`Approved ${result.approved}.${refused.length ? ` Not approved: ${refused.map((r) => r.error).join("; ")}` : ""}`);
      },
      onSettled: refresh,
    }),
  );
  const items = queue.data ?? [];
  const current = items[Math.min(focus, items.length - 1)];

  useEffect(() => {
    document.querySelector(`[data-testid="approval-item"][data-focused="true"]`)?.scrollIntoView({ block: "nearest" });
  }, [focus]);

  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const open = (suffix = "") => current && router.push(`${current.href}${suffix}`);

  useKeys({
    j: () => setFocus((f) => Math.min(f + 1, Math.max(items.length - 1, 0))),
    ArrowDown: () => setFocus((f) => Math.min(f + 1, Math.max(items.length - 1, 0))),
    k: () => setFocus((f) => Math.max(f - 1, 0)),
    ArrowUp: () => setFocus((f) => Math.max(f - 1, 0)),
    x: () => current && current.kind === "approval" && current.risk === "low" && toggle(current.id),
    a: () => {
      if (!current) return;
      if (current.kind === "form") return open();
      setMessage(null);
      approve.mutate({ id: current.id, decision: "approve" }, { onSuccess: () => setMessage(`Approved “${current.title}”.`) });
    },
    r: () => current?.kind === "approval" && open("?action=reject"),
    e: () => current?.kind === "approval" && open("?action=edit"),
    Enter: () => open(),
  });

  const selectable = items.filter((i) => i.kind === "approval" && i.risk === "low");
  return (
    <>
      <div className={styles.toolbar}>
        <button type="button" className="button-primary" disabled={selected.size === 0 || bulk.isPending} onClick={() => bulk.mutate({ ids: [...selected] })} data-testid="bulk-approve">
          Approve selected ({selected.size})
        </button>
        <button
          type="button"
          className="button-quiet"
          disabled={selectable.length === 0}
          onClick={() => setSelected(selected.size === selectable.length ? new Set() : new Set(selectable.map((i) => i.id)))}
        >
          {selected.size === selectable.length && selectable.length > 0 ? "Clear selection" : "Select all low-risk"}
        </button>
        <span className={styles.keys} aria-hidden="true">
          <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>x</kbd> select · <kbd>a</kbd> approve · <kbd>r</kbd> reject · <kbd>e</kbd> edit · <kbd>Enter</kbd> open
        </span>
      </div>
      <p role="status" className="muted" data-testid="queue-message" style={{ minHeight: "1.5em", margin: "0 0 8px" }}>
        {approve.error ? approve.error.message : (bulk.error?.message ?? message ?? "")}
      </p>
      <ListStates query={queue} what="approvals" empty="No approval or form waits for you. New ones appear here as runs reach them.">
        {(rows) => (
          <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Waiting approvals">
            {rows.map((item, index) => {
              const canSelect = item.kind === "approval" && item.risk === "low";
              return (
                <li
                  key={item.id}
                  className={styles.row}
                  data-testid="approval-item"
                  data-id={item.id}
                  data-risk={item.risk}
                  data-focused={index === Math.min(focus, rows.length - 1) ? "true" : undefined}
                  onClick={() => setFocus(index)}
                >
                  <input
                    type="checkbox"
                    aria-label={`Select ${item.title}`}
                    title={canSelect ? "Select for bulk approval" : "Only low-risk approvals are approved in bulk"}
                    disabled={!canSelect}
                    checked={selected.has(item.id)}
                    onChange={() => toggle(item.id)}
                  />
                  <div className={styles.rowMain}>
                    <Link href={item.href} className={styles.rowTitle} prefetch={false}>
                      {item.title || "(untitled)"}
                    </Link>
                    <div className={styles.rowMeta}>
                      <span>{item.workflow.name}</span>
                      <span>{item.kind === "form" ? "form" : `step ${item.nodeId}`}</span>
                      <span>waiting {age(item.createdAt)}</span>
                    </div>
                  </div>
                  <div className={styles.actions}>
                    {item.deadlineAt ? <Countdown at={item.deadlineAt} className="badge badge-warning" /> : null}
                    <RiskBadge risk={item.risk} />
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </ListStates>
      <TriageRows onRouted={(name) => setMessage(`Sent to ${name}; Keel learns from your choice.`)} />
    </>
  );
}

function History() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const history = useQuery(trpc.approval.history.queryOptions({ limit: 100 }));
  const revoke = useMutation(trpc.approval.revokeAutonomy.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.approval.history.queryKey() }) }));
  return (
    <>
      {revoke.isSuccess ? (
        <p role="status" className="muted">
          Autonomy taken back: that step asks you again, and its trust ramp starts from zero.
        </p>
      ) : null}
      <ListStates query={history} what="decided approvals" empty="No approval has been decided yet.">
        {(rows) => (
          <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Decided approvals">
            {rows.map((h) => (
              <li key={h.id} className={styles.row} data-testid="history-item" data-status={h.status} style={{ gridTemplateColumns: "1fr auto" }}>
                <div className={styles.rowMain}>
                  <Link href={`/approvals/${h.id}`} className={styles.rowTitle} prefetch={false}>
                    {h.title || "(untitled)"}
                  </Link>
                  <div className={styles.rowMeta}>
                    <span>{h.workflow.name}</span>
                    <span>
                      {h.status}
                      {h.edited ? " with edits" : ""} by {h.decidedBy ?? "—"}
                      {h.decidedAt ? `, ${new Date(h.decidedAt).toLocaleString()}` : ""}
                    </span>
                    {h.rule ? <span data-testid="history-rule">rule: {h.rule}</span> : null}
                    {h.reason ? <span>reason: {h.reason}</span> : null}
                  </div>
                </div>
                {h.rule ? (
                  <button type="button" className="button-quiet" disabled={revoke.isPending} onClick={() => revoke.mutate({ workflowId: h.workflow.id, nodeId: h.nodeId })}>
                    Take autonomy back
                  </button>
                ) : (
                  <span />
                )}
              </li>
            ))}
          </ul>
        )}
      </ListStates>
    </>
  );
}

export default function ApprovalsPage() {
  const [tab, setTab] = useState("waiting");
  return (
    <section>
      <div className="page-header">
        <h1>Approvals</h1>
      </div>
      <Tabs.Root value={tab} onValueChange={setTab}>
        <Tabs.List className={styles.tabs} aria-label="Approvals">
          <Tabs.Trigger value="waiting" className={styles.tab}>
            Waiting
          </Tabs.Trigger>
          <Tabs.Trigger value="decided" className={styles.tab}>
            Decided
          </Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content value="waiting">{tab === "waiting" ? <Queue /> : null}</Tabs.Content>
        <Tabs.Content value="decided">{tab === "decided" ? <History /> : null}</Tabs.Content>
      </Tabs.Root>
    </section>
  );
}
