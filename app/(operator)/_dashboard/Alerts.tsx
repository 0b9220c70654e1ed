"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { retryUnlessClientError } from "../../_components/query-retry";
import { useTRPC } from "../../_trpc/client";
import styles from "./dashboard.module.css";

const METRICS = [
  { id: "retry_rate", label: "Retry rate, last hour (0–1)" },
  { id: "backlog_age", label: "Oldest queued run (seconds)" },
  { id: "dead_letter_growth", label: "Dead letters, last hour" },
  { id: "daily_cost", label: "Cost today (units)" },
] as const;
const labelOf = (metric: string) => METRICS.find((m) => m.id === metric)?.label ?? metric;
const EMPTY = { name: "", metric: "backlog_age", threshold: "", cooldownMinutes: "60", email: "", webhookUrl: "", webhookSecret: "" };

/** The alert rules and where each stands (firing ones first), and the form that adds one. */
export function Alerts() {
  const trpc = useTRPC();
  const client = useQueryClient();
  const alerts = useQuery(trpc.alert.list.queryOptions(undefined, { retry: retryUnlessClientError, refetchInterval: 10_000 }));
  const [form, setForm] = useState(EMPTY);
  const onSuccess = () => void client.invalidateQueries({ queryKey: trpc.alert.list.queryKey() });
  const create = useMutation(trpc.alert.create.mutationOptions({ onSuccess: () => (setForm(EMPTY), onSuccess()) }));
  const remove = useMutation(trpc.alert.remove.mutationOptions({ onSuccess }));
  const field = (key: keyof typeof EMPTY) => ({ value: form[key], onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const optional = (value: string) => (value.trim() === "" ? null : value.trim());
    create.mutate({
      name: form.name,
      metric: form.metric as (typeof METRICS)[number]["id"],
      threshold: Number(form.threshold),
      cooldownMinutes: Number(form.cooldownMinutes),
      email: optional(form.email),
      webhookUrl: optional(form.webhookUrl),
      webhookSecret: optional(form.webhookSecret),
    });
  };
  const rules = [...(alerts.data ?? [])].sort((a, b) => Number(b.state === "firing") - Number(a.state === "firing"));

  return (
    <section className={styles.panel} aria-labelledby="alerts-title" data-testid="alerts">
      <h2 id="alerts-title" className="section-title">
        Alerts
      </h2>
      {alerts.isError ? (
        <p className="state state-error" role="alert">
          <strong>Could not load the alerts.</strong> {alerts.error.message}
        </p>
      ) : alerts.isPending ? (
        <p className={styles.budgetRow} role="status">
          Loading alerts…
        </p>
      ) : rules.length === 0 ? (
        <p className={styles.budgetRow}>No alert rule yet: add one to hear about retries, a stuck queue, dead letters or spending.</p>
      ) : (
        <ul className={styles.budgetList}>
          {rules.map((r) => (
            <li key={r.id} className={styles.budgetRow} data-testid="alert" data-state={r.state}>
              <span className={r.state === "firing" ? "badge badge-warning" : "badge badge-muted"}>{r.state === "firing" ? "firing" : r.enabled ? "ok" : "off"}</span>
              <span className={styles.budgetName}>{r.name}</span>
              <span>
                {labelOf(r.metric)}: {r.lastValue === null ? "not evaluated yet" : r.lastValue.toFixed(r.metric === "retry_rate" ? 3 : 2)} (threshold {r.threshold})
              </span>
              <button type="button" className="button-quiet" onClick={() => remove.mutate({ id: r.id })} disabled={remove.isPending} aria-label={`Remove alert ${r.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className={styles.budgetForm} onSubmit={submit} aria-label="New alert rule">
        <label>
          Name
          <input {...field("name")} required maxLength={120} />
        </label>
        <label>
          Metric
          <select {...field("metric")}>
            {METRICS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Threshold
          <input type="number" min="0" step="any" {...field("threshold")} required />
        </label>
        <label>
          Cooldown (min)
          <input type="number" min="1" step="1" {...field("cooldownMinutes")} required />
        </label>
        <label>
          Email (optional)
          <input type="email" {...field("email")} />
        </label>
        <label>
          Webhook URL (optional)
          <input type="url" {...field("webhookUrl")} />
        </label>
        <label>
          Signing credential (optional)
          <input {...field("webhookSecret")} />
        </label>
        <button type="submit" className="button-primary" disabled={create.isPending}>
          Add alert
        </button>
        {create.isError ? (
          <span className="form-error" role="alert">
            {create.error.message}
          </span>
        ) : null}
      </form>
    </section>
  );
}
