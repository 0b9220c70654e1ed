"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { retryUnlessClientError } from "../../_components/query-retry";
import { useTRPC } from "../../_trpc/client";
import { formatCost } from "./format";
import styles from "./dashboard.module.css";

const GLOBAL = "";

/** Today's spending against each daily cap, and the form that sets, raises or removes a cap. */
export function Budgets() {
  const trpc = useTRPC();
  const client = useQueryClient();
  const budgets = useQuery(trpc.budget.list.queryOptions(undefined, { retry: retryUnlessClientError, refetchInterval: 10_000 }));
  const workflows = useQuery(trpc.workflow.list.queryOptions(undefined, { retry: retryUnlessClientError }));
  const [scope, setScope] = useState(GLOBAL);
  const [cap, setCap] = useState("");
  const set = useMutation(
    trpc.budget.set.mutationOptions({
      onSuccess: () => {
        setCap("");
        void client.invalidateQueries({ queryKey: trpc.budget.list.queryKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set.mutate({ workflowId: scope === GLOBAL ? null : scope, dailyCap: cap.trim() === "" ? Number.NaN : Number(cap) });
  };

  return (
    <section className={styles.panel} aria-labelledby="budgets-title" data-testid="budgets">
      <h2 id="budgets-title" className="section-title">
        Daily budgets (cost units, UTC day)
      </h2>
      {budgets.isPending ? (
        <p className={styles.budgetRow} role="status">
          Loading budgets…
        </p>
      ) : budgets.isError ? (
        <p className="state state-error" role="alert">
          <strong>Could not load the budgets.</strong> {budgets.error.message}
        </p>
      ) : budgets.data.caps.length === 0 ? (
        <p className={styles.budgetRow}>No cap set: steps that cost run without a limit. Spent today: {formatCost(budgets.data.totalSpentToday)}.</p>
      ) : (
        <ul className={styles.budgetList}>
          {budgets.data.caps.map((c) => {
            const over = c.spentToday >= c.dailyCap;
            return (
              <li key={c.workflowId ?? "global"} className={styles.budgetRow} data-testid="budget" data-over={over}>
                <span className={styles.budgetName}>{c.name}</span>
                <progress max={c.dailyCap || 1} value={Math.min(c.spentToday, c.dailyCap || 1)} aria-label={`${c.name}: ${formatCost(c.spentToday)} of ${formatCost(c.dailyCap)}`} />
                <span className={over ? styles.budgetOver : undefined}>
                  {formatCost(c.spentToday)} / {formatCost(c.dailyCap)}
                  {over ? " — reached: steps that cost are paused" : ""}
                </span>
                <button type="button" className="button-quiet" onClick={() => set.mutate({ workflowId: c.workflowId, dailyCap: null })} disabled={set.isPending}>
                  Remove
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <form className={styles.budgetForm} onSubmit={submit}>
        <label>
          Cap for
          <select value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value={GLOBAL}>All of Keel</option>
            {(workflows.data ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Daily cap
          <input type="number" min="0" step="any" inputMode="decimal" value={cap} onChange={(e) => setCap(e.target.value)} required />
        </label>
        <button type="submit" className="button-primary" disabled={set.isPending}>
          Save cap
        </button>
        {set.isError ? (
          <span className="form-error" role="alert">
            {set.error.message}
          </span>
        ) : set.isSuccess ? (
          <span role="status">Saved{set.data.woken ? `; ${set.data.woken} paused run(s) resumed` : ""}.</span>
        ) : null}
      </form>
    </section>
  );
}
