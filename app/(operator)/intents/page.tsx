"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { ListStates } from "../../_components/ListStates";
import { useTRPC } from "../../_trpc/client";
import { RoutingRules } from "./RoutingRules";
import { TriageQueue } from "../../_components/intents/TriageQueue";

const percent = (n: number | null) => (n === null ? "" : `${Math.round(n * 100)} %`);

/** Requests for the coordinator: a new one, the starter workflows to try, the triage queue, and where each went and why. */
export default function IntentsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const intents = useQuery(trpc.intent.list.queryOptions({ limit: 100 }));
  const targets = useQuery(trpc.intent.targets.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.intent.pathKey() });
  const [form, setForm] = useState({ text: "", email: "", name: "" });
  const submit = useMutation(trpc.intent.submit.mutationOptions({ onSuccess: () => (setForm({ text: "", email: "", name: "" }), refresh()) }));
  const tryIt = useMutation(trpc.intent.tryWorkflow.mutationOptions({ onSuccess: refresh }));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate({ text: form.text, ...(form.email.trim() ? { email: form.email.trim() } : {}), ...(form.name.trim() ? { name: form.name.trim() } : {}) });
  };
  const last = submit.data ?? tryIt.data;

  return (
    <section>
      <div className="page-header">
        <h1>Intents</h1>
      </div>
      <p className="muted">
        Requests arrive here from the API, signed webhooks (<code>POST /api/intents</code>), inbound email (<code>POST /api/intents/email</code>) and the form below.
        Each goes to the workflow whose Intent trigger fits: by your rules first, then the LLM when one is configured, then the most similar past requests. When
        Keel is not sure, the request waits for you in triage, and your choice teaches it.
      </p>

      <div className="panel">
        <h2 id="new-request">New request</h2>
        <form onSubmit={onSubmit} className="form" aria-labelledby="new-request">
          <div className="form-field">
            <label htmlFor="intent-text">What is it about?</label>
            <textarea id="intent-text" rows={3} value={form.text} onChange={(e) => setForm({ ...form, text: e.target.value })} maxLength={20_000} required />
          </div>
          <div className="form-inline">
            <div className="form-field">
              <label htmlFor="intent-email">Customer email (optional)</label>
              <input id="intent-email" type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} maxLength={320} />
            </div>
            <div className="form-field">
              <label htmlFor="intent-name">Name (optional)</label>
              <input id="intent-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} maxLength={200} />
            </div>
          </div>
          <button type="submit" className="button-primary" disabled={submit.isPending}>
            {submit.isPending ? "Routing…" : "Route it"}
          </button>
          {submit.isError ? (
            <p className="form-error" role="alert">
              {submit.error.message}
            </p>
          ) : null}
          {tryIt.isError ? (
            <p className="form-error" role="alert">
              {tryIt.error.message}
            </p>
          ) : null}
          {last ? (
            <p role="status" data-testid="intent-result">
              {last.status === "routed" ? `Sent to ${last.workflow?.name ?? "a workflow"}: ${last.reason}.` : `Waiting in triage: ${last.reason}.`}
            </p>
          ) : null}
        </form>
      </div>

      <div className="panel">
        <h2>Starter workflows</h2>
        <ListStates query={targets} what="workflows that accept requests" empty="No published workflow accepts requests yet: publish one with an Intent trigger (the starter workflows have one).">
          {(list) => (
            <ul className="card-list">
              {list.map((t) => (
                <li key={t.workflowId} className="card" data-testid="intent-target">
                  <div className="card-main">
                    <Link className="card-title" href={`/workflows/${t.slug}`}>
                      {t.name}
                    </Link>
                    <p className="card-description">
                      <span className="badge badge-muted">{t.label}</span> {t.description}
                    </p>
                  </div>
                  {t.sample ? (
                    <button type="button" className="button-quiet" onClick={() => tryIt.mutate({ workflow: t.workflowId })} disabled={tryIt.isPending} aria-label={`Try ${t.name} with its sample request`}>
                      Try it
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </ListStates>
      </div>

      <TriageQueue onRouted={refresh} />

      <RoutingRules />

      <h2 className="section-title">All requests</h2>
      <ListStates query={{ ...intents, data: intents.data?.items }} what="requests" empty="No requests yet. Send one above, or try a starter workflow.">
        {(items) => (
          <table className="table" data-testid="intents-table">
            <thead>
              <tr>
                <th>When</th>
                <th>From</th>
                <th>Request</th>
                <th>Went to</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.id} data-testid="intent-row" data-status={i.status}>
                  <td>{new Date(i.createdAt).toLocaleString()}</td>
                  <td>
                    <span className="badge badge-muted">{i.source}</span> {i.contact ? (i.contact.email ?? i.contact.name) : ""}
                  </td>
                  <td title={i.text}>{i.text.length > 120 ? `${i.text.slice(0, 120)}…` : i.text}</td>
                  <td>
                    {i.status === "routed" && i.workflow ? (
                      <>
                        <Link href={`/workflows/${i.workflow.id}`}>{i.workflow.name}</Link>{" "}
                        <span className="badge badge-accent" title="how it was routed">
                          {i.via} {percent(i.confidence)}
                        </span>
                      </>
                    ) : (
                      <span className="badge badge-warning">triage</span>
                    )}
                  </td>
                  <td className="muted">{i.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListStates>
    </section>
  );
}
