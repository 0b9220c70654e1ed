"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ListStates } from "../../_components/ListStates";
import { useTRPC } from "../../_trpc/client";

/**
 * Requests Keel was not sure about, each with its best guesses: choosing a workflow starts the
 * run there and teaches the router (the request becomes an example for similar ones).
 */
export function TriageQueue({ onRouted }: { onRouted: () => void }) {
  const trpc = useTRPC();
  const queue = useQuery(trpc.intent.triage.queryOptions({ limit: 100 }));
  const [choice, setChoice] = useState<Record<string, string>>({});
  const choose = useMutation(trpc.intent.choose.mutationOptions({ onSuccess: () => (void queue.refetch(), onRouted()) }));

  return (
    <div className="panel" aria-labelledby="triage-heading">
      <h2 id="triage-heading">Waiting for you (triage)</h2>
      {choose.isError ? (
        <p className="form-error" role="alert">
          {choose.error.message}
        </p>
      ) : null}
      <ListStates query={queue} what="the triage queue" empty="Nothing waits for a decision.">
        {(items) => (
          <ul className="card-list">
            {items.map((item) => {
              const selected = choice[item.id] ?? item.candidates.find((c) => c.workflowId)?.workflowId ?? item.choices[0]?.workflowId ?? "";
              return (
                <li key={item.id} className="card" data-testid="triage-item">
                  <div className="card-main">
                    <p className="card-title">{item.text.length > 160 ? `${item.text.slice(0, 160)}…` : item.text}</p>
                    <p className="card-description">
                      {item.contact ? `${item.contact.email ?? item.contact.name} · ` : ""}
                      {item.reason}
                      {item.candidates.length ? ` · guesses: ${item.candidates.map((c) => c.summary).join(", ")}` : ""}
                    </p>
                  </div>
                  <div className="form-inline">
                    <label className="muted" htmlFor={`triage-${item.id}`}>
                      Send to
                    </label>
                    <select id={`triage-${item.id}`} style={{ font: "inherit", padding: "6px 8px", border: "1px solid var(--border-strong)", borderRadius: 6 }} value={selected} onChange={(e) => setChoice({ ...choice, [item.id]: e.target.value })}>
                      {item.choices.map((c) => (
                        <option key={c.workflowId} value={c.workflowId}>
                          {c.name} ({c.label})
                        </option>
                      ))}
                    </select>
                    <button type="button" className="button-primary" disabled={!selected || choose.isPending} onClick={() => choose.mutate({ id: item.id, workflow: selected })}>
                      Route
                    </button>
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </ListStates>
    </div>
  );
}
