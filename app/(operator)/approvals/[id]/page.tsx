"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { autonomyBadge } from "../../../../nodes/human/approval";
import { Countdown } from "../../../_components/Countdown";
import styles from "../../../_components/operations.module.css";
import { retryUnlessClientError } from "../../../_components/query-retry";
import { useKeys } from "../../../_components/use-keys";
import { useTRPC } from "../../../_trpc/client";
import { ChangesTable, ProposalEditor } from "./ProposalEditor";

// One approval's context packet: what is proposed, why (the steps before it and what they
// produced, and the memory items a model's prompt read, linked into the replay), the risk, the deadline, the run and workflow; approve
// (a), reject with a reason (r), edit and approve (e). `?action=reject|edit` opens straight
// into that action (the queue's r and e keys).

const STATE_TEXT = { pending: "Waiting for you", approved: "Approved", rejected: "Rejected", expired: "Closed by its deadline", cancelled: "The run was cancelled" } as const;

const pretty = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

function Proposal({ proposal, fields }: { proposal: unknown; fields: { name: string; label: string }[] }) {
  if (fields.length && proposal && typeof proposal === "object" && !Array.isArray(proposal)) {
    const values = proposal as Record<string, unknown>;
    return (
      <dl className={styles.fields} data-testid="proposal">
        {fields.map((f) => (
          <div key={f.name} style={{ display: "contents" }}>
            <dt>{f.label}</dt>
            <dd data-testid={`proposal-${f.name}`}>{values[f.name] === null || values[f.name] === undefined || values[f.name] === "" ? "—" : pretty(values[f.name])}</dd>
          </div>
        ))}
      </dl>
    );
  }
  return (
    <pre className={styles.pre} data-testid="proposal">
      {pretty(proposal)}
    </pre>
  );
}

export default function ApprovalPage() {
  const params = useParams<{ id: string }>();
  const search = useSearchParams();
  const id = typeof params.id === "string" ? params.id : "";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const approval = useQuery(trpc.approval.get.queryOptions({ id }, { enabled: id.length > 0, retry: retryUnlessClientError }));
  const workflowId = approval.data?.workflow.id ?? "";
  const nodeId = approval.data?.node.id ?? "";
  const autonomy = useQuery(trpc.approval.autonomy.queryOptions({ workflowId, nodeId }, { enabled: workflowId !== "" && approval.data?.autonomy.mode !== "ask" }));
  const initialAction = search.get("action");
  const [editing, setEditing] = useState(initialAction === "edit");
  const [rejecting, setRejecting] = useState(initialAction === "reject");
  const [reason, setReason] = useState("");
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.approval.get.queryKey({ id }) }),
      queryClient.invalidateQueries({ queryKey: trpc.approval.count.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.approval.queue.queryKey() }),
    ]);
  const submit = useMutation(
    trpc.approval.submit.mutationOptions({
      onSuccess: () => {
        setEditing(false);
        setRejecting(false);
      },
      onSettled: refresh,
    }),
  );
  const refreshAutonomy = () => queryClient.invalidateQueries({ queryKey: trpc.approval.autonomy.queryKey({ workflowId, nodeId }) });
  const revoke = useMutation(trpc.approval.revokeAutonomy.mutationOptions({ onSuccess: refreshAutonomy }));
  const restore = useMutation(trpc.approval.restoreAutonomy.mutationOptions({ onSuccess: refreshAutonomy }));
  const pendingNow = approval.data?.state === "pending";

  useKeys(
    {
      a: () => !submit.isPending && submit.mutate({ id, decision: "approve" }),
      r: () => setRejecting(true),
      e: () => setEditing(true),
    },
    pendingNow && !editing && !rejecting,
  );

  if (approval.isPending) {
    return (
      <p className="state" role="status">
        Loading the approval…
      </p>
    );
  }
  if (approval.isError) {
    return (
      <div className="state state-error" role="alert">
        <strong>Could not load this approval.</strong> {approval.error.message} <Link href="/approvals">Back to the queue</Link>
      </div>
    );
  }
  const a = approval.data;
  const onReject = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate({ id, decision: "reject", reason });
  };

  return (
    <section>
      <p className="breadcrumb">
        <Link href="/approvals">Approvals</Link>
      </p>
      <div className="page-header">
        <h1>{a.title}</h1>
        <span className={a.state === "pending" ? "badge badge-warning" : "badge badge-muted"} data-testid="approval-state">
          {STATE_TEXT[a.state]}
        </span>
        <span className={`badge ${a.risk === "high" ? styles.riskHigh : a.risk === "medium" ? "badge-warning" : "badge-muted"}`} data-testid="approval-risk">
          {a.risk} risk
        </span>
        {a.deadlineAt && a.state === "pending" ? <Countdown at={a.deadlineAt} className="badge badge-warning" /> : null}
      </div>
      <p className="muted">
        Workflow <Link href={`/workflows/${a.workflow.id}`}>{a.workflow.name}</Link> (version {a.workflow.version}) · step <strong>{a.node.label}</strong> · run{" "}
        <Link href={`/runs/${a.runId}`} data-testid="run-link">
          <code>{a.runId.slice(0, 12)}</code>
        </Link>{" "}
        ({a.runStatus}) · waiting since {new Date(a.createdAt).toLocaleString()}
      </p>

      <div className={styles.grid}>
        <div>
          <div className="panel">
            <h2>Proposed</h2>
            {a.instructions ? <p className="description">{a.instructions}</p> : null}
            <Proposal proposal={a.proposal} fields={a.schema} />
          </div>

          {pendingNow ? (
            <div className="panel" data-testid="decide">
              {editing ? (
                <ProposalEditor
                  fields={a.schema}
                  proposal={a.proposal}
                  pending={submit.isPending}
                  error={submit.error?.message ?? null}
                  onSubmit={(data) => submit.mutate({ id, decision: "edit", data })}
                  onCancel={() => setEditing(false)}
                />
              ) : (
                <>
                  <div className={styles.actions}>
                    <button type="button" className="button-primary" disabled={submit.isPending} onClick={() => submit.mutate({ id, decision: "approve" })}>
                      Approve <kbd aria-hidden="true">a</kbd>
                    </button>
                    <button type="button" className="button-quiet" onClick={() => setRejecting(true)}>
                      Reject… <kbd aria-hidden="true">r</kbd>
                    </button>
                    <button type="button" className="button-quiet" onClick={() => setEditing(true)}>
                      Edit and approve… <kbd aria-hidden="true">e</kbd>
                    </button>
                  </div>
                  {submit.error && !rejecting ? (
                    <p className="form-error" role="alert">
                      {submit.error.message}
                    </p>
                  ) : null}
                </>
              )}
            </div>
          ) : (
            <div className="panel" data-testid="decided">
              <h2>Decision</h2>
              <p>
                {STATE_TEXT[a.state]}
                {a.decidedBy ? ` by ${a.decidedBy}` : ""}
                {a.decidedAt ? ` on ${new Date(a.decidedAt).toLocaleString()}` : ""}.
              </p>
              {a.comment ? <p data-testid="decision-comment">{a.decidedBy === "autonomy" ? `Rule: ${a.comment}` : `Reason: ${a.comment}`}</p> : null}
              {a.changes.length ? <ChangesTable changes={a.changes} /> : null}
            </div>
          )}

          <div className="panel">
            <h2>Why: the steps before it</h2>
            {a.why.length === 0 ? (
              <p className="muted">No step ran before this one.</p>
            ) : (
              <ol className={styles.steps} data-testid="why">
                {a.why.map((step) => (
                  <li key={step.nodeId}>
                    <Link href={`/runs/${a.runId}?step=${step.seq}`} prefetch={false}>
                      {step.label}
                    </Link>{" "}
                    <span className="muted">{step.type}</span>
                    <pre className={styles.pre}>{pretty(step.output)}</pre>
                    {step.memory.length ? (
                      <div data-testid="why-memory">
                        <p className="muted">The memory its prompt read:</p>
                        <ul>
                          {step.memory.map((m) => (
                            <li key={m.id} data-testid="why-memory-item" data-item-id={m.id}>
                              {m.gone ? (
                                <span className="muted">Item {m.id} is no longer stored.</span>
                              ) : (
                                <>
                                  {m.subject ? (
                                    <Link href={`/memory/${encodeURIComponent(m.subject)}`} prefetch={false}>
                                      {m.subject}
                                    </Link>
                                  ) : (
                                    <span className="muted">no subject</span>
                                  )}{" "}
                                  · {m.kind}
                                  {m.href ? (
                                    <>
                                      {" · "}
                                      <Link href={m.href} prefetch={false}>
                                        written by this run step
                                      </Link>
                                    </>
                                  ) : null}
                                  : {m.text}
                                </>
                              )}
                            </li>
                          ))}
                        </ul>
                      </div>
                    ) : null}
                  </li>
                ))}
              </ol>
            )}
          </div>
        </div>

        <div>
          <div className="panel">
            <h2>Autonomy</h2>
            <p data-testid="autonomy-badge">{autonomyBadge({ autonomy: a.autonomy })}</p>
            {autonomy.data ? (
              <>
                {autonomy.data.streak !== null ? <p className="muted">Clean approvals in a row: {autonomy.data.streak}</p> : null}
                {autonomy.data.revoked ? (
                  <button type="button" className="button-quiet" disabled={restore.isPending} onClick={() => restore.mutate({ workflowId, nodeId })}>
                    Give autonomy back
                  </button>
                ) : (
                  <button type="button" className="button-quiet" disabled={revoke.isPending} onClick={() => revoke.mutate({ workflowId, nodeId })}>
                    Take autonomy back
                  </button>
                )}
              </>
            ) : null}
          </div>
          <div className="panel">
            <h2>Run input</h2>
            <pre className={styles.pre}>{pretty(a.input)}</pre>
          </div>
        </div>
      </div>

      <Dialog.Root open={rejecting && pendingNow} onOpenChange={setRejecting}>
        <Dialog.Portal>
          <Dialog.Overlay className={styles.overlay} />
          <Dialog.Content className={styles.dialog} aria-describedby={undefined}>
            <Dialog.Title>Reject “{a.title}”</Dialog.Title>
            <form className="form" onSubmit={onReject}>
              <div className="form-field">
                <label htmlFor="reject-reason">Reason</label>
                <textarea id="reject-reason" rows={4} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus />
              </div>
              {submit.error ? (
                <p className="form-error" role="alert">
                  {submit.error.message}
                </p>
              ) : null}
              <div className={styles.actions}>
                <button type="submit" className="button-primary" disabled={submit.isPending}>
                  Reject
                </button>
                <Dialog.Close asChild>
                  <button type="button" className="button-quiet">
                    Cancel
                  </button>
                </Dialog.Close>
              </div>
            </form>
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>
    </section>
  );
}
