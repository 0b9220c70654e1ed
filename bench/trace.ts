import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";

// The renderer main thread's CPU time (the trace's thread clock, `tdur`, not wall time) spent
// while `act` runs, split into scripting, style and layout, paint and the rest. Thread time
// moves little when other processes load the machine, so it is the measure to tune against;
// frame timings taken on a loaded machine are not.

export interface MainThreadTime {
  total: number;
  scripting: number;
  styleLayout: number;
  paint: number;
  other: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

const CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "v8.execute", "blink"];
const STYLE_LAYOUT = new Set(["UpdateLayoutTree", "Layout", "RecalculateStyles", "PrePaint", "IntersectionObserverController::computeIntersections", "UpdateLayerTree"]);
const PAINT = new Set(["Paint", "PaintImage", "Layerize", "CompositeLayers", "Commit", "RasterTask"]);
const SCRIPTING = new Set(["FunctionCall", "EventDispatch", "RunMicrotasks", "TimerFire", "FireAnimationFrame", "EvaluateScript", "v8.compile", "V8.Execute", "v8.callFunction", "MajorGC", "MinorGC", "V8.GC_SCAVENGER", "HandlePostMessage", "XHRReadyStateChange", "ParseHTML"]);

/** Sums the thread time of the outermost events of each kind, so nested ones count once. */
export function mainThreadTime(events: readonly TraceEvent[]): MainThreadTime {
  const main = events.find((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain" && events.some((x) => x.pid === e.pid && x.tid === e.tid && x.name === "EventDispatch"));
  const result: MainThreadTime = { total: 0, scripting: 0, styleLayout: 0, paint: 0, other: 0 };
  if (!main) return result;
  const complete = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.tdur !== undefined).sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  // Tasks: the outermost RunTask events; within them, the outermost event of each kind.
  let taskEnd = -1;
  const open: { end: number; kind: keyof MainThreadTime | null }[] = [];
  for (const e of complete) {
    const end = e.ts + (e.dur ?? 0);
    if (e.name === "RunTask" || e.name === "ThreadControllerImpl::RunTask") {
      if (e.ts >= taskEnd) {
        result.total += e.tdur!;
        taskEnd = end;
        open.length = 0;
      }
      continue;
    }
    while (open.length && open.at(-1)!.end <= e.ts) open.pop();
    const kind: keyof MainThreadTime | null = STYLE_LAYOUT.has(e.name) ? "styleLayout" : PAINT.has(e.name) ? "paint" : SCRIPTING.has(e.name) ? "scripting" : null;
    // Layout forced from script counts as layout, and is taken out of the script around it.
    if (kind && !open.some((o) => o.kind === kind)) {
      result[kind] += e.tdur!;
      const outer = [...open].reverse().find((o) => o.kind !== null);
      if (outer && outer.kind) result[outer.kind] -= e.tdur!;
    }
    open.push({ end, kind: kind ?? open.at(-1)?.kind ?? null });
  }
  for (const key of ["total", "scripting", "styleLayout", "paint"] as const) result[key] /= 1_000;
  result.other = result.total - result.scripting - result.styleLayout - result.paint;
  return result;
}

/** Traces `act` in Chromium and returns the main thread's time, divided by `per`. */
export async function traceMainThread(browser: Browser, page: Page, per: number, act: () => Promise<unknown>): Promise<MainThreadTime> {
  await browser.startTracing(page, { categories: CATEGORIES });
  await act();
  const buffer = await browser.stopTracing();
  // KEEL_BENCH_TRACE_DIR keeps the raw traces, for DevTools' performance panel.
  if (process.env.KEEL_BENCH_TRACE_DIR) writeFileSync(join(process.env.KEEL_BENCH_TRACE_DIR, `trace-${Date.now()}.json`), buffer);
  const parsed = JSON.parse(buffer.toString("utf8")) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const time = mainThreadTime(Array.isArray(parsed) ? parsed : parsed.traceEvents);
  return { total: time.total / per, scripting: time.scripting / per, styleLayout: time.styleLayout / per, paint: time.paint / per, other: time.other / per };
}
