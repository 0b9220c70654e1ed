"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense, useState, type FormEvent } from "react";
import { AuthCard } from "../_components/AuthCard";
import { retryUnlessClientError } from "../_components/query-retry";
import { useTRPC } from "../_trpc/client";

// Where the email's one-time approve / reject links land. Opening it changes nothing (mail
// scanners open every link); the operator confirms with the button, which is the POST that
// decides. A used, expired or tampered link says so.

function Confirm() {
  const trpc = useTRPC();
  const token = useSearchParams().get("token") ?? "";
  const link = useQuery(trpc.approvalLink.inspect.queryOptions({ token }, { enabled: token !== "", retry: retryUnlessClientError }));
  const [reason, setReason] = useState("");
  const use = useMutation(trpc.approvalLink.use.mutationOptions());

  if (!token) return <p className="form-error" role="alert">This link has no token: open the approval in Keel instead.</p>;
  if (link.isPending) return <p role="status">Checking the link…</p>;
  if (link.isError) {
    return (
      <p className="form-error" role="alert" data-testid="link-refused">
        {link.error.message}
      </p>
    );
  }
  const l = link.data;
  if (use.isSuccess) {
    return (
      <p role="status" data-testid="link-done">
        {l.action === "approve" ? "Approved" : "Rejected"}: “{l.title}”. The run goes on. This link cannot be used again.
      </p>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    use.mutate({ token, ...(l.action === "reject" ? { reason } : {}) });
  };
  return (
    <form className="form" onSubmit={submit}>
      <p>
        <strong>{l.title}</strong>
        <br />
        <span className="muted">
          {l.workflow} · {l.risk} risk
        </span>
      </p>
      <pre style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere", fontSize: "0.85rem" }}>{typeof l.proposal === "string" ? l.proposal : JSON.stringify(l.proposal, null, 2)}</pre>
      {!l.usable ? (
        <p className="form-error" role="alert" data-testid="link-refused">
          {l.refusal}
        </p>
      ) : (
        <>
          {l.action === "reject" ? (
            <>
              <label htmlFor="reason">Why reject it?</label>
              <textarea id="reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} required />
            </>
          ) : null}
          {use.error ? (
            <p className="form-error" role="alert">
              {use.error.message}
            </p>
          ) : null}
          <button type="submit" className="button-primary" disabled={use.isPending}>
            {l.action === "approve" ? "Confirm: approve" : "Confirm: reject"}
          </button>
        </>
      )}
    </form>
  );
}

export default function ApprovalLinkPage() {
  return (
    <AuthCard title="Confirm your decision">
      <Suspense fallback={<p role="status">Checking the link…</p>}>
        <Confirm />
      </Suspense>
    </AuthCard>
  );
}
