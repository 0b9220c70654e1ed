import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { chromium, type Page } from "playwright-core";
import type { Graph } from "../engine/graph/schema";
import { Worker } from "../engine/runtime/worker";
import { json, migrate, openDatabase } from "../engine/store";
import { loadConfig } from "../server/config";
import { freePort } from "../server/process/wait";
import { runtimeDeps } from "../server/runtime";
import { migrationsDir, servicesFor } from "../server/services";
import { runKeel } from "../test/support/keel-process";
import { report } from "./report";
import { traceMainThread, type MainThreadTime } from "./trace";

// The replay of a run with 10,000 events and the runs list over 10,000 runs, in headless
// Chromium against `keel start` (SQLite): navigation to interactive (the timeline answers) beside
// the bare query of the same events with the raw driver; the main-thread cost of one scrub step
// (from the key or the scrubber to the committed, laid-out view) over the whole run; and the
// main-thread cost per frame while scrolling the runs list from top to bottom.

const ITEMS = 2_500; // a for-each over 2,500 items: four events per pass, about 10,000 events
const LIST_RUNS = 10_000;
const PASSWORD = "bench-password-123";

const graph: Graph = {
  schemaVersion: 1,
  nodes: [
    { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 0 }, config: {} },
    { id: "each", type: "loop.forEach", typeVersion: 1, label: "Each order", position: { x: 240, y: 0 }, config: { items: "input.orders", maxItems: 10_000 } },
    { id: "bill", type: "data.transform", typeVersion: 1, label: "Bill", position: { x: 480, y: 80 }, config: { expression: "{ 'order': outputs.each.item, 'billed': true }" } },
    { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 480, y: -80 }, config: {} },
  ],
  edges: [
    { id: "e1", source: "start", sourcePort: "out", target: "each", targetPort: "in" },
    { id: "e2", source: "each", sourcePort: "item", target: "bill", targetPort: "in" },
    { id: "e3", source: "bill", sourcePort: "out", target: "each", targetPort: "in" },
    { id: "e4", source: "each", sourcePort: "done", target: "done", targetPort: "in" },
  ],
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const median = (values: number[]) => percentile(values, 50);

function chromiumPath(): string | undefined {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

/** Main-thread cost of moving the replay one step (arrow key) or to a position (scrubber). */
async function scrubCosts(page: Page, counts = { steps: 400, jumps: 200 }): Promise<{ steps: number[]; jumps: number[] }> {
  return page.evaluate(async (counts) => {
    const position = document.querySelector('[data-testid="replay-position"]')!;
    const range = document.querySelector('[data-testid="replay-scrubber"]') as HTMLInputElement;
    const grid = document.querySelector(".replay-grid") as HTMLElement;
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
    // The time from the input to the DOM showing the new position, laid out (a forced layout);
    // NaN when the position did not change within a second (nothing to measure).
    const measure = (act: () => void) =>
      new Promise<number>((resolve) => {
        const before = position.textContent;
        const started = performance.now();
        const observer = new MutationObserver(() => {
          if (position.textContent === before) return;
          observer.disconnect();
          clearTimeout(giveUp);
          void grid.getBoundingClientRect();
          resolve(performance.now() - started);
        });
        const giveUp = setTimeout(() => (observer.disconnect(), resolve(NaN)), 1_000);
        observer.observe(position, { childList: true, characterData: true, subtree: true });
        act();
      });
    const last = Number(range.max);
    // From the first event, 400 steps forward with the arrow key.
    const steps: number[] = [];
    for (let i = 0; i < counts.steps; i++) {
      await frame();
      steps.push(await measure(() => window.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }))));
    }
    // Then across the whole run to its end with the scrubber, 200 positions evenly spread.
    const jumps: number[] = [];
    for (let i = 1; i <= counts.jumps; i++) {
      await frame();
      const to = String(Math.round((i / counts.jumps) * last));
      if (to === range.value) continue;
      jumps.push(await measure(() => (setValue.call(range, to), range.dispatchEvent(new Event("input", { bubbles: true })))));
    }
    if (steps.some(Number.isNaN) || jumps.some(Number.isNaN)) throw new Error(`the replay did not move: ${steps.filter(Number.isNaN).length} steps, ${jumps.filter(Number.isNaN).length} jumps`);
    return { steps, jumps };
  }, counts);
}

/** Main-thread cost per scroll frame of the runs list: the scroll event's handlers (the
 * virtualizer renders synchronously in them) plus the layout they cause. */
async function scrollCosts(page: Page): Promise<{ frames: number[]; rows: number }> {
  return page.evaluate(async () => {
    const list = document.querySelector('[data-testid="runs-list"]') as HTMLElement;
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    const frames: number[] = [];
    let started = 0;
    const begin = () => (started = performance.now());
    const end = () => {
      void list.firstElementChild?.nextElementSibling?.getBoundingClientRect();
      frames.push(performance.now() - started);
    };
    document.addEventListener("scroll", begin, { capture: true });
    list.addEventListener("scroll", end);
    for (let i = 0; i < 5_000 && list.scrollTop + list.clientHeight < list.scrollHeight - 2; i++) {
      list.scrollTop += 600;
      await frame();
      // Let the next page arrive when the end of what is loaded is near.
      if (list.scrollTop + list.clientHeight >= list.scrollHeight - 2) for (let w = 0; w < 100 && list.scrollTop + list.clientHeight >= list.scrollHeight - 2; w++) await new Promise((r) => setTimeout(r, 50));
    }
    document.removeEventListener("scroll", begin, { capture: true });
    list.removeEventListener("scroll", end);
    return { frames, rows: Number(list.getAttribute("aria-rowcount")) };
  });
}

export async function benchReplay(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "keel-bench-replay-"));
  const env = { KEEL_DATA_DIR: dir, KEEL_PASSWORD: PASSWORD, NEXT_TELEMETRY_DISABLED: "1" };
  try {
    const config = loadConfig(env);
    await migrate(config.database, migrationsDir(config.database.provider));
    const database = await openDatabase(config.database);
    let runId: string;
    let events: number;
    try {
      const services = servicesFor(config, database);
      const wf = await services.workflows.create({ name: "Bench replay", graph });
      await services.publishing.publish({ id: wf.id });
      runId = (await services.runs.start({ workflow: wf.id, input: { orders: Array.from({ length: ITEMS }, (_, i) => i) } })).id;
      const worker = new Worker(runtimeDeps(database), { id: "bench", leaseMs: 600_000 });
      for (let i = 0; i < 1_000 && (await services.runs.get(runId)).status !== "succeeded"; i++) await worker.drain();
      events = await database.db.runEvent.count({ where: { runId } });
      // The list: 10,000 finished runs of the same version.
      const version = await database.db.workflowVersion.findFirstOrThrow({ where: { workflowId: wf.id } });
      const at = Date.now();
      for (let i = 0; i < LIST_RUNS; i += 1_000) {
        await database.db.run.createMany({
          data: Array.from({ length: 1_000 }, (_, k) => ({ workflowId: wf.id, versionId: version.id, status: (k % 7 === 0 ? "failed" : "succeeded") as "failed" | "succeeded", input: json({ order: i + k }), createdAt: new Date(at - (i + k) * 1_000), finishedAt: new Date(at - (i + k) * 1_000 + 500) })),
        });
      }
    } finally {
      await database.close();
    }

    // The baseline: the same events read with the raw driver, all at once.
    const raw = new Database(join(dir, "keel.db"), { readonly: true });
    const bare: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const rows = raw.prepare(`SELECT "seq", "type", "nodeId", "payload", "createdAt" FROM "RunEvent" WHERE "runId" = ? ORDER BY "seq"`).all(runId) as { payload: string }[];
      for (const row of rows) JSON.parse(row.payload ?? "null");
      bare.push(performance.now() - started);
    }
    raw.close();

    const port = await freePort();
    const keel = runKeel(["start"], { ...env, PORT: String(port) });
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    try {
      await keel.waitFor(/Keel is running at http:\/\/127\.0\.0\.1:\d+/, 600_000);
      const base = `http://127.0.0.1:${port}`;
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      // tsx names the functions it compiles with a helper (__name) the page does not have.
      await page.addInitScript({ content: "window.__name = (f) => f;" });
      await page.goto(`${base}/login`);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((url) => !url.pathname.startsWith("/login"));

      // Navigation to interactive: the timeline shows the run's position and takes input.
      const interactive: number[] = [];
      for (let i = 0; i < 4; i++) {
        await page.goto(`${base}/runs/${runId}?step=1`, { waitUntil: "commit" });
        await page.waitForFunction(() => /^1 \/ \d+$/.test(document.querySelector('[data-testid="replay-position"]')?.textContent ?? ""), undefined, { polling: "raf", timeout: 60_000 });
        const ms = await page.evaluate(() => performance.now());
        if (i > 0) interactive.push(ms); // the first visit compiles and caches the route
      }
      await page.waitForFunction((n) => document.querySelector('[data-testid="replay-position"]')?.textContent?.endsWith(`/ ${n}`), events, { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid="replay-verification"]')?.getAttribute("data-state") === "verified", undefined, { timeout: 120_000 });
      await page.waitForFunction((n) => (document.querySelector('[data-testid="replay-scrubber"]') as HTMLInputElement | null)?.max === String(n - 1), events, { timeout: 60_000 });
      const scrub = await scrubCosts(page);
      report("replay.10k_events.navigation_to_interactive", median(interactive), "ms", median(bare));
      report("replay.10k_events.step_p95", percentile(scrub.steps, 95), "ms");
      report("replay.10k_events.scrub_to_end_p95", percentile(scrub.jumps, 95), "ms");
      // The same moves again under a trace: the main thread's CPU time per move (scripting,
      // style and layout, paint), which a loaded machine disturbs far less than frame timings.
      await page.keyboard.press("Home");
      await page.waitForFunction(() => /^1 \//.test(document.querySelector('[data-testid="replay-position"]')?.textContent ?? ""));
      const stepCpu = await traceMainThread(browser, page, 200, () => scrubCosts(page, { steps: 200, jumps: 0 }));
      const jumpCpu = await traceMainThread(browser, page, 100, () => scrubCosts(page, { steps: 0, jumps: 100 }));
      report("replay.10k_events.step_main_thread_cpu", stepCpu.total, "ms");
      report("replay.10k_events.scrub_main_thread_cpu", jumpCpu.total, "ms");
      const split = (t: MainThreadTime) => `scripting ${t.scripting.toFixed(2)}, style+layout ${t.styleLayout.toFixed(2)}, paint ${t.paint.toFixed(2)}, other ${t.other.toFixed(2)} ms`;
      console.error(`replay bench: main-thread CPU per step: ${split(stepCpu)}; per scrubber jump: ${split(jumpCpu)}`);

      await page.goto(`${base}/runs`);
      await page.waitForSelector('[data-testid="run-row"]');
      const scroll = await scrollCosts(page);
      report("runs_list.10k_runs.scroll_frame_p95", percentile(scroll.frames, 95), "ms");
      console.error(`replay bench: ${events} events, ${scrub.steps.length} steps, ${scrub.jumps.length} scrubber jumps; runs list scrolled over ${scroll.rows} rows in ${scroll.frames.length} frames (max ${Math.max(...scroll.frames).toFixed(1)} ms)`);
      if (scroll.rows < LIST_RUNS) throw new Error(`replay bench: the runs list reached ${scroll.rows} rows, not ${LIST_RUNS}`);
    } finally {
      await browser.close();
      keel.child.kill("SIGINT");
      await Promise.race([keel.exited, new Promise((r) => setTimeout(r, 15_000))]);
      keel.child.kill("SIGKILL");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
