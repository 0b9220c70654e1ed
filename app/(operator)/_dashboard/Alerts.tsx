"use client";

import { useQuery } from "@tanstack/react-query";
import { retryUnlessClientError } from "../../_components/query-retry";
import { useTRPC } from "../../_trpc/client";
import styles from "./dashboard.module.css";

const METRIC = { retry_rate: "Retry rate (1 h)", backlog_age: "Oldest queued run (s)", dead_letter_growth: "Dead letters (1 h)", daily_cost: "Cost today" } as Record<string, string>;

/** The alert rules and where each stands; firing ones first. */
export function Alerts() {
  const trpc = useTRPC();
  const alerts = useQuery(trpc.alert.list.queryOptions(undefined, { retry: retryUnlessClientError, refetchInterval: 10_000 }));
  if (alerts.isPending || alerts.isError || alerts.data.length === 0) {
    return alerts.isError ? (
      <p className="state state-error" role="alert">
        <strong>Could not load the alerts.</strong> {alerts.error.message}
      </p>
    ) : null;
  }
  const rules = [...alerts.data].sort((a, b) => Number(b.state === "firing") - Number(a.state === "firing"));
  return (
    <section className={styles.panel} aria-labelledby="alerts-title" data-testid="alerts">
      <h2 id="alerts-title" className="section-title">
        Alerts
      </h2>
      <ul className={styles.budgetList}>
        {rules.map((r) => (
          <li key={r.id} className={styles.budgetRow} data-testid="alert" data-state={r.state}>
            <span className={r.state === "firing" ? "badge badge-warning" : "badge badge-muted"}>{r.state === "firing" ? "firing" : r.enabled ? "ok" : "off"}</span>
            <span className={styles.budgetName}>{r.name}</span>
            <span>
              {METRIC[r.metric] ?? r.metric} {r.lastValue === null ? "" : `${r.lastValue.toFixed(r.metric === "retry_rate" ? 3 : 2)} `}/ threshold {r.threshold}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
