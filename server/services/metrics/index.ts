import type { z } from "zod";
import type { Database } from "../../../engine/store";
import { dashboard, DashboardInput } from "./dashboard";
import { rollUpMetrics } from "./rollup";

export { DashboardInput, type Dashboard } from "./dashboard";

/** The operations figures: the dashboard, the Prometheus scrape, and the rollup the worker ticks. */
export function metricsService(database: Database, options: { now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  return {
    dashboard: (input: z.input<typeof DashboardInput> = {}) => dashboard(database, { now: now(), days: DashboardInput.parse(input).days }),
    /** The figures of the last day, in Prometheus' text format. */
    // The Prometheus client is loaded with the first scrape; the worker's metrics service never scrapes.
    prometheus: async () => (await import("./prometheus")).prometheusText(await dashboard(database, { now: now(), days: 1 })),
    /** Folds ended days into the rollup; ticked by the worker. */
    tick: () => rollUpMetrics(database, now()),
  };
}
