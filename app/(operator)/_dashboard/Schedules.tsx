"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { retryUnlessClientError } from "../../_components/query-retry";
import { useTRPC } from "../../_trpc/client";
import styles from "./dashboard.module.css";

const when = (iso: string) => new Date(iso).toLocaleString("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "UTC", hour12: false }) + " UTC";

/** Every schedule: its next instants, its last fire and that run; pause and resume. */
export function Schedules() {
  const trpc = useTRPC();
  const client = useQueryClient();
  const schedules = useQuery(trpc.schedule.list.queryOptions(undefined, { retry: retryUnlessClientError, refetchInterval: 30_000 }));
  const onSuccess = () => void client.invalidateQueries({ queryKey: trpc.schedule.list.queryKey() });
  const pause = useMutation(trpc.schedule.pause.mutationOptions({ onSuccess }));
  const resume = useMutation(trpc.schedule.resume.mutationOptions({ onSuccess }));

  return (
    <section className={styles.panel} aria-labelledby="schedules-title" data-testid="schedules">
      <h2 id="schedules-title" className="section-title">
        Schedules
      </h2>
      {schedules.isPending ? (
        <p className={styles.budgetRow} role="status">
          Loading schedules…
        </p>
      ) : schedules.isError ? (
        <p className="state state-error" role="alert">
          <strong>Could not load the schedules.</strong> {schedules.error.message}
        </p>
      ) : schedules.data.length === 0 ? (
        <p className={styles.budgetRow}>No published workflow has a schedule trigger.</p>
      ) : (
        <table className={styles.compact}>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Cron</th>
              <th scope="col">Next</th>
              <th scope="col">Last fire</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {schedules.data.map((s) => (
              <tr key={s.id} data-testid="schedule" data-paused={s.paused}>
                <td>
                  <Link href={`/workflows/${encodeURIComponent(s.workflowId)}`}>{s.workflowName}</Link> <span className="muted">· {s.nodeId}</span>
                </td>
                <td>
                  <code>{s.cron}</code> <span className="muted">{s.timezone}</span>
                </td>
                <td title={s.next.map(when).join("\n")}>{s.paused ? <span className="badge badge-warning">paused</span> : s.next[0] ? when(s.next[0]) : "—"}</td>
                <td>
                  {s.lastFireAt ? when(s.lastFireAt) : "never"}
                  {s.lastRun ? (
                    <>
                      {" "}
                      <Link href={`/runs/${encodeURIComponent(s.lastRun.id)}`}>run</Link> <span className="muted">{s.lastRun.status}</span>
                    </>
                  ) : null}
                </td>
                <td className={styles.num}>
                  <button
                    type="button"
                    className="button-quiet"
                    disabled={pause.isPending || resume.isPending}
                    onClick={() => (s.paused ? resume : pause).mutate({ id: s.id })}
                    aria-label={`${s.paused ? "Resume" : "Pause"} schedule of ${s.workflowName}`}
                  >
                    {s.paused ? "Resume" : "Pause"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
