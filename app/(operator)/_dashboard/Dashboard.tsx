"use client";

import Link from "next/link";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";
import { Alerts } from "./Alerts";
import { Budgets } from "./Budgets";
import { DailyChart } from "./DailyChart";
import { formatAge, formatCost, formatMs, formatPercent } from "./format";
import { StatTile, StatTileSkeleton } from "./StatTile";
import { Schedules } from "./Schedules";
import { useDashboard } from "./use-dashboard";
import styles from "./dashboard.module.css";

const RANGES = [7, 14, 30] as const;
const COLORS = { ok: "#2f9e62", bad: "#b42318", started: "#2f6fdb", steps: "#2f6fdb", cost: "#8a4b00" };

/** Everything below the header: skeletons of the same size until the figures arrive. */
type DashboardFigures = inferRouterOutputs<AppRouter>["metrics"]["dashboard"];

function Figures({ figures }: { figures: DashboardFigures | undefined }) {
  return (
    <>
        <div className={styles.tiles}>
          {!figures ? (
            Array.from({ length: 6 }, (_, i) => <StatTileSkeleton key={i} />)
          ) : (
            <>
              <StatTile
                testId="stat-runs"
                label={`Runs · ${figures.days} days`}
                value={figures.totals.runsStarted}
                display={figures.totals.runsStarted.toLocaleString("en-US")}
                detail={`${figures.totals.runsSucceeded} ok · ${figures.totals.runsFailed} failed`}
                tone={figures.totals.runsFailed > 0 ? "warning" : undefined}
              />
              <StatTile
                testId="stat-backlog"
                label="Queued"
                value={figures.backlog.queued}
                display={String(figures.backlog.queued)}
                detail={figures.backlog.queued ? `oldest ${formatAge(figures.backlog.oldestAgeSeconds)}` : "none queued"}
                tone={(figures.backlog.oldestAgeSeconds ?? 0) > 300 ? "warning" : undefined}
              />
              <StatTile
                testId="stat-approvals"
                label="Approvals"
                value={figures.approvals.waiting}
                display={String(figures.approvals.waiting)}
                detail={figures.approvals.waiting ? `waiting, oldest ${formatAge(figures.approvals.oldestAgeSeconds)}` : "none waiting"}
                href="/approvals"
              />
              <StatTile
                testId="stat-dead-letters"
                label="Dead letters"
                value={figures.deadLetters.open}
                display={String(figures.deadLetters.open)}
                detail={`${figures.deadLetters.last24h} new in 24 h`}
                tone={figures.deadLetters.open > 0 ? "danger" : undefined}
                href="/dead-letters"
              />
              <StatTile
                testId="stat-retry-rate"
                label="Retries · 24 h"
                value={figures.retry.rate}
                display={formatPercent(figures.retry.rate)}
                detail={`${figures.retry.attempts - figures.retry.steps} of ${figures.retry.attempts} attempts`}
                tone={figures.retry.rate > 0.2 ? "warning" : undefined}
              />
              <StatTile
                testId="stat-cost"
                label="Cost today"
                value={figures.daily[figures.daily.length - 1]!.costUnits}
                display={formatCost(figures.daily[figures.daily.length - 1]!.costUnits)}
                detail={`${formatCost(figures.totals.costUnits)} in ${figures.days} days`}
              />
            </>
          )}
        </div>

        {figures && figures.totals.runsStarted === 0 && figures.totals.steps === 0 ? (
          <p className="state state-empty" data-testid="dashboard-empty">
            No runs in the last {figures.days} days. Start one from a <Link href="/workflows">workflow</Link>, and its figures appear here.
          </p>
        ) : null}

        <div className={styles.charts}>
          {figures ? (
            <>
              <DailyChart
                testId="chart-runs"
                title="Runs per day"
                data={figures.daily}
                series={[
                  { key: "runsSucceeded", label: "Succeeded", color: COLORS.ok, stack: "finished" },
                  { key: "runsFailed", label: "Failed", color: COLORS.bad, stack: "finished" },
                  { key: "runsStarted", label: "Started", color: COLORS.started },
                ]}
              />
              <DailyChart
                testId="chart-steps"
                title="Steps with effects per day"
                data={figures.daily}
                series={[
                  { key: "steps", label: "Completed", color: COLORS.steps },
                  { key: "stepsFailed", label: "Failed", color: COLORS.bad },
                ]}
              />
              <DailyChart testId="chart-cost" title="Cost per day" data={figures.daily} series={[{ key: "costUnits", label: "Cost units", color: COLORS.cost }]} format={formatCost} />
            </>
          ) : (
            Array.from({ length: 3 }, (_, i) => <div key={i} className={`${styles.chartCard} ${styles.skeleton}`} aria-hidden="true" />)
          )}
          {figures ? (
            <figure className={styles.chartCard} data-testid="cost-by-workflow">
              <figcaption className={styles.chartTitle}>Cost per workflow, {figures.days} days</figcaption>
              {figures.workflows.length === 0 ? (
                <p className={styles.cardEmpty}>No workflow ran in this range.</p>
              ) : (
                <div className={styles.tableScroll}>
                  <table className={styles.compact}>
                    <thead>
                      <tr>
                        <th scope="col">Workflow</th>
                        <th scope="col" className={styles.num}>Runs</th>
                        <th scope="col" className={styles.num}>Tokens</th>
                        <th scope="col" className={styles.num}>Cost</th>
                      </tr>
                    </thead>
                    <tbody>
                      {figures.workflows.map((w) => (
                        <tr key={w.workflowId ?? "keel"} data-testid="workflow-cost" data-workflow-id={w.workflowId ?? "keel"} data-runs={w.runs}>
                          <td>
                            {w.workflowId ? <Link href={`/workflows/${encodeURIComponent(w.workflowId)}`}>{w.name}</Link> : <span className={styles.keelLine}>{w.name}</span>}
                          </td>
                          <td className={styles.num}>{w.runs}</td>
                          <td className={styles.num}>{w.costTokens.toLocaleString("en-US")}</td>
                          <td className={styles.num}>{formatCost(w.costUnits)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </figure>
          ) : (
            <div className={`${styles.chartCard} ${styles.skeleton}`} aria-hidden="true" />
          )}
        </div>

        <Alerts />
        <Budgets />
        <Schedules />

        <h2 className="section-title">Step latency by node type, last 24 h</h2>
        {!figures ? (
          <div className={`${styles.latencySkeleton} ${styles.skeleton}`} aria-hidden="true" />
        ) : figures.latency.length === 0 ? (
          <p className="state state-empty" data-testid="latency-empty">
            No step with an effect completed in the last 24 hours.
          </p>
        ) : (
          <table data-testid="latency">
            <thead>
              <tr>
                <th scope="col">Node type</th>
                <th scope="col" className={styles.num}>Steps</th>
                <th scope="col" className={styles.num}>p50</th>
                <th scope="col" className={styles.num}>p95</th>
              </tr>
            </thead>
            <tbody>
              {figures.latency.map((l) => (
                <tr key={l.nodeType} data-testid="latency-row" data-node-type={l.nodeType} data-steps={l.steps}>
                  <td>
                    <code>{l.nodeType}</code>
                  </td>
                  <td className={styles.num}>{l.steps}</td>
                  <td className={styles.num}>{formatMs(l.p50Ms)}</td>
                  <td className={styles.num}>{formatMs(l.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </>
  );
}

export function Dashboard() {
  const [days, setDays] = useState<number>(14);
  const query = useDashboard(days);
  const figures = query.data;

  return (
    <section aria-busy={query.isFetching}>
      <div className="page-header">
        <h1>Dashboard</h1>
        <div className={styles.range} role="group" aria-label="Range">
          {RANGES.map((n) => (
            <button key={n} type="button" aria-pressed={days === n} className={days === n ? styles.rangeActive : undefined} onClick={() => setDays(n)}>
              {n} days
            </button>
          ))}
        </div>
        <Link href="/workflows" className={styles.headerLink}>
          Workflows →
        </Link>
      </div>

      {query.isError ? (
        <div className="state state-error" role="alert" data-testid="dashboard-error">
          <strong>Could not load the figures.</strong> {query.error.message}{" "}
          <button type="button" className="button-quiet" onClick={() => void query.refetch()}>
            Try again
          </button>
        </div>
      ) : null}

      {query.isError && !figures ? null : <Figures figures={figures} />}

      <p className={styles.footnote}>
        Days are UTC. Test runs are left out. {figures ? `Updated ${new Date(figures.generatedAt).toLocaleTimeString("en-US")}.` : "\u00a0"}
      </p>
    </section>
  );
}
