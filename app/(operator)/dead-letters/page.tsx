"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ListStates } from "../../_components/ListStates";
import styles from "../../_components/operations.module.css";
import { useTRPC } from "../../_trpc/client";
import { ActionDialog, type Action } from "./ActionDialog";
import type { Letter } from "./letter";

// Dead letters: steps that failed for good, grouped by workflow, step and error kind, each with
// its review packet (error, attempts, input, last response). Retry under the same key, retry
// with the run's input (or the step's configuration) edited under a new key (shown before it
// runs), skip with an output of your own, cancel the run; retry a selection or a whole group.

const pretty = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

function groupsOf(letters: Letter[]) {
  const groups = new Map<string, { key: string; workflow: string; step: string; kind: string; items: Letter[] }>();
  for (const l of letters) {
    const key = `${l.workflow.id}|${l.node.id}|${l.errorKind}`;
    const group = groups.get(key) ?? { key, workflow: l.workflow.name, step: l.node.label, kind: l.errorKind, items: [] };
    group.items.push(l);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function Packet({ letter, onAction, busy }: { letter: Letter; onAction(action: Action): void; busy: boolean }) {
  const last = letter.attempts[letter.attempts.length - 1];
  return (
    <details data-testid="packet">
      <summary>Review packet</summary>
      <dl className={styles.fields} style={{ marginTop: 8 }}>
        <dt>Error</dt>
        <dd>{letter.error}</dd>
        {letter.likelyCause ? (
          <>
            <dt>Likely cause</dt>
            <dd>{letter.likelyCause}</dd>
          </>
        ) : null}
        <dt>Attempts</dt>
        <dd>
          <ol style={{ margin: 0, paddingLeft: 18 }}>
            {letter.attempts.map((a) => (
              <li key={a.attempt}>{(a.error as { message?: string } | null)?.message ?? pretty(a.error)}</li>
            ))}
          </ol>
        </dd>
        <dt>Key</dt>
        <dd>
          <code>{letter.key}</code>
        </dd>
      </dl>
      <h3 className="section-title" style={{ marginTop: 12 }}>
        Last response
      </h3>
      <pre className={styles.pre}>{pretty(last?.error ?? null)}</pre>
      <h3 className="section-title" style={{ marginTop: 12 }}>
        Step configuration
      </h3>
      <pre className={styles.pre}>{pretty(letter.config)}</pre>
      <h3 className="section-title" style={{ marginTop: 12 }}>
        Run input
      </h3>
      <pre className={styles.pre}>{pretty(letter.input)}</pre>
      <div className={styles.actions} style={{ marginTop: 12 }}>
        <button type="button" className="button-quiet" disabled={busy} onClick={() => onAction({ kind: "edit", letter })}>
          Edit and retry…
        </button>
        <button type="button" className="button-quiet" disabled={busy} onClick={() => onAction({ kind: "skip", letter })}>
          Skip with an output…
        </button>
        <button type="button" className="button-quiet" disabled={busy} onClick={() => onAction({ kind: "cancel", letter })}>
          Cancel the run…
        </button>
      </div>
    </details>
  );
}

export default function DeadLettersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const inbox = useQuery(trpc.deadLetter.inbox.queryOptions(undefined, { refetchInterval: 5_000 }));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [action, setAction] = useState<Action | null>(null);
  const [message, setMessage] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.deadLetter.inbox.queryKey() });
  const retry = useMutation(trpc.deadLetter.retry.mutationOptions({ onSettled: refresh }));
  const retryMany = useMutation(
    trpc.deadLetter.retryMany.mutationOptions({
      onSuccess: (results) => {
        setSelected(new Set());
        const failed = results.filter((r) => !r.ok);
        setMessage(`Retried ${results.length - failed.length}.${failed.length ? ` Not retried: ${failed.map((f) => f.error).join("; ")}` : ""}`);
      },
      onSettled: refresh,
    }),
  );
  const toggle = (ids: string[], on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  const busy = retry.isPending || retryMany.isPending;

  return (
    <section>
      <div className="page-header">
        <h1>Dead letters</h1>
      </div>
      <p className="muted">Steps that failed for good. Fix the cause, then retry, retry with edits, skip with an output of your own, or cancel the run.</p>
      <div className={styles.toolbar}>
        <button type="button" className="button-primary" disabled={selected.size === 0 || busy} onClick={() => retryMany.mutate({ ids: [...selected] })} data-testid="retry-selected">
          Retry selected ({selected.size})
        </button>
        <span role="status" className="muted" data-testid="dead-letter-message">
          {retry.error?.message ?? retryMany.error?.message ?? message}
        </span>
      </div>
      <ListStates query={inbox} what="dead letters" empty="No dead letters: every failed step was retried, skipped or cancelled.">
        {(letters) => (
          <>
            {groupsOf(letters).map((group) => {
              const ids = group.items.map((l) => l.id);
              const all = ids.every((id) => selected.has(id));
              return (
                <div key={group.key} className={styles.group} data-testid="dead-letter-group">
                  <div className={styles.toolbar}>
                    <input type="checkbox" aria-label={`Select all of ${group.workflow} · ${group.step}`} checked={all} onChange={() => toggle(ids, !all)} />
                    <h2 style={{ margin: 0, fontSize: 17 }}>
                      {group.workflow} · {group.step}
                    </h2>
                    <span className="badge badge-warning">{group.kind}</span>
                    <span className="muted">{group.items.length} open</span>
                    <button type="button" className="button-quiet" disabled={busy} onClick={() => retryMany.mutate({ ids })}>
                      Retry group
                    </button>
                  </div>
                  <ul style={{ listStyle: "none", padding: 0, margin: 0 }}>
                    {group.items.map((letter) => (
                      <li key={letter.id} className={styles.row} data-testid="dead-letter" data-id={letter.id} data-run={letter.runId} style={{ alignItems: "start" }}>
                        <input type="checkbox" aria-label={`Select the dead letter of run ${letter.runId}`} checked={selected.has(letter.id)} onChange={() => toggle([letter.id], !selected.has(letter.id))} />
                        <div className={styles.rowMain}>
                          <div className={styles.rowTitle} data-testid="dead-letter-error">
                            {letter.error}
                          </div>
                          <div className={styles.rowMeta}>
                            <Link href={`/runs/${letter.runId}${letter.step ? `?step=${letter.step}` : ""}`} prefetch={false} data-testid="replay-link">
                              run {letter.runId.slice(0, 12)} at the failed step
                            </Link>
                            <span>
                              {letter.attempts.length} attempt{letter.attempts.length === 1 ? "" : "s"}
                            </span>
                            <span>{new Date(letter.createdAt).toLocaleString()}</span>
                          </div>
                          <Packet letter={letter} busy={busy} onAction={setAction} />
                        </div>
                        <button type="button" className="button-primary" disabled={busy} onClick={() => retry.mutate({ id: letter.id }, { onSuccess: () => setMessage("Retried under the same key.") })}>
                          Retry
                        </button>
                      </li>
                    ))}
                  </ul>
                </div>
              );
            })}
          </>
        )}
      </ListStates>
      <ActionDialog
        action={action}
        onClose={() => setAction(null)}
        onDone={(text) => {
          setAction(null);
          setMessage(text);
          void refresh();
        }}
      />
    </section>
  );
}
