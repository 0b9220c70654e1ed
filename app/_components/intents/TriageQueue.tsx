"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import type { AppRouter } from "../../../server/trpc/router";
import type { inferRouterOutputs } from "@trpc/server";
import { ListStates } from "../ListStates";
import styles from "../operations.module.css";
import { useTRPC } from "../../_trpc/client";
import { useRunChanges } from "../test-run/use-run-changes";

// Requests Keel was not sure about, each with its best guesses: choosing a workflow starts the
// run there and teaches the router (the request becomes an example for similar ones). Drawn
// as a panel on the Intents page and as rows of their own kind in the approval queue.

type TriageItem = inferRouterOutputs<AppRouter>["intent"]["triage"][number];

const excerpt = (text: string) => (text.length > 160 ? `${text.slice(0, 160)}…` : text);
const why = (item: TriageItem) =>
  `${item.reason}${item.candidates.length ? ` · guesses: ${item.candidates.map((c) => c.summary).join(", ")}` : ""}`;

/** The triage queue and the operator's choice, shared by both places that show it. */
function useTriage(onRouted?: (name: string) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const queue = useQuery(trpc.intent.triage.queryOptions({ limit: 100 }));
  // Requests arriving and routed elsewhere (an API call, a mail, another tab) reach the feed as intent changes.
  const refetch = useCallback(() => void queryClient.invalidateQueries({ queryKey: trpc.intent.triage.queryKey() }), [queryClient, trpc]);
  useRunChanges({}, refetch);
  const [choice, setChoice] = useState<Record<string, string>>({});
  const choose = useMutation(
    trpc.intent.choose.mutationOptions({
      // The workflow's name is taken as the choice is sent: the live list may drop the item first.
      onMutate: (input) => ({ name: queue.data?.find((i) => i.id === input.id)?.choices.find((c) => c.workflowId === input.workflow)?.name }),
      onSuccess: (_result, _input, context) => {
        void queryClient.invalidateQueries({ queryKey: trpc.intent.triage.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.approval.count.queryKey() });
        onRouted?.(context?.name ?? "the chosen workflow");
      },
    }),
  );
  const selectedFor = (item: TriageItem) => choice[item.id] ?? item.candidates.find((c) => c.workflowId)?.workflowId ?? item.choices[0]?.workflowId ?? "";
  return { queue, choose, selectedFor, setChoice: (id: string, workflow: string) => setChoice((prev) => ({ ...prev, [id]: workflow })) };
}

function RouteChoice({ item, triage }: { item: TriageItem; triage: ReturnType<typeof useTriage> }) {
  const selected = triage.selectedFor(item);
  return (
    <div className="form-inline" style={{ display: "flex", flexWrap: "wrap", gap: 8 }}>
      <label className="muted" htmlFor={`triage-${item.id}`}>
        Send to
      </label>
      <select
        id={`triage-${item.id}`}
        style={{ font: "inherit", padding: "6px 8px", border: "1px solid var(--border-strong)", borderRadius: 6 }}
        value={selected}
        onChange={(e) => triage.setChoice(item.id, e.target.value)}
      >
        {item.choices.map((c) => (
          <option key={c.workflowId} value={c.workflowId}>
            {c.name} ({c.label})
          </option>
        ))}
      </select>
      <button type="button" className="button-primary" disabled={!selected || triage.choose.isPending} onClick={() => triage.choose.mutate({ id: item.id, workflow: selected })}>
        Route
      </button>
    </div>
  );
}

/** The Intents page's panel. */
export function TriageQueue({ onRouted }: { onRouted: () => void }) {
  const triage = useTriage(onRouted);
  return (
    <div className="panel" aria-labelledby="triage-heading">
      <h2 id="triage-heading">Waiting for you (triage)</h2>
      {triage.choose.isError ? (
        <p className="form-error" role="alert">
          {triage.choose.error.message}
        </p>
      ) : null}
      <ListStates query={triage.queue} what="the triage queue" empty="Nothing waits for a decision.">
        {(items) => (
          <ul className="card-list">
            {items.map((item) => (
              <li key={item.id} className="card" data-testid="triage-item">
                <div className="card-main">
                  <p className="card-title">{excerpt(item.text)}</p>
                  <p className="card-description">
                    {item.contact ? `${item.contact.email ?? item.contact.name} · ` : ""}
                    {why(item)}
                  </p>
                </div>
                <RouteChoice item={item} triage={triage} />
              </li>
            ))}
          </ul>
        )}
      </ListStates>
    </div>
  );
}

/**
 * The approval queue's rows for requests to route: the same choice, as items of their own kind
 * beside the approvals and forms. Nothing is drawn while there are none (the approvals above
 * say whether anything waits), so the queue keeps its place as this loads.
 */
export function TriageRows({ onRouted }: { onRouted: (name: string) => void }) {
  const triage = useTriage(onRouted);
  const items = triage.queue.data ?? [];
  if (triage.queue.isError) {
    return (
      <div className="state state-error" role="alert">
        <strong>Could not load the requests to route.</strong> {triage.queue.error.message}
      </div>
    );
  }
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="triage-rows-heading" style={{ marginTop: 16 }}>
      <h2 id="triage-rows-heading" style={{ fontSize: "1rem", margin: "0 0 8px" }}>
        Requests to route ({items.length})
      </h2>
      {triage.choose.isError ? (
        <p className="form-error" role="alert">
          {triage.choose.error.message}
        </p>
      ) : null}
      <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Requests to route">
        {items.map((item) => (
          <li key={item.id} className={styles.row} data-testid="triage-item" data-kind="triage" data-id={item.id} style={{ gridTemplateColumns: "1fr auto" }}>
            <div className={styles.rowMain}>
              <span className={styles.rowTitle}>{excerpt(item.text)}</span>
              <div className={styles.rowMeta}>
                <span className="badge badge-muted">request to route</span>
                {item.contact ? <span>{item.contact.email ?? item.contact.name}</span> : null}
                <span>{why(item)}</span>
              </div>
            </div>
            <RouteChoice item={item} triage={triage} />
          </li>
        ))}
      </ul>
    </section>
  );
}
