import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { createValidationCache, validateGraph } from "../engine/graph";
import { GraphSchema, type Graph } from "../engine/graph/schema";
import { migrate, openDatabase } from "../engine/store";
import { registry } from "../nodes/catalog";
import { loadConfig } from "../server/config";
import { freePort } from "../server/process/wait";
import { migrationsDir, servicesFor } from "../server/services";
import { runKeel } from "../test/support/keel-process";
import { report } from "./report";

// The editor with a 500-node workflow, in one Chromium run beside a baseline page that draws the
// same nodes and edges with bare React Flow (its default node type, nothing else): load time
// (navigation to every node and edge drawn) and frame times while one node is dragged for 2 s,
// once the page is idle. The two pages take turns three times; medians are reported. Then
// validate-on-change at 500 nodes, the work the editor does after every edit (through its cache
// of unchanged nodes), and the same validation without a cache, each against the bare zod parse
// of the same graph.

const NODES = 500;
const PASSWORD = "bench-password-123";
const ROUNDS = 3;

function bigGraph(): Graph {
  const nodes: Graph["nodes"] = [{ id: "start", type: "trigger.manual", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} }];
  for (let i = 1; i < NODES; i++) {
    nodes.push({ id: `set${i}`, type: "data.set", typeVersion: 1, label: `Step ${i}`, position: { x: (i % 25) * 280, y: Math.floor(i / 25) * 160 }, config: { fields: { n: i } } });
  }
  const edges = nodes.slice(1).map((n, i) => ({ id: `e${i + 1}`, source: nodes[i]!.id, sourcePort: "out", target: n.id, targetPort: "in" }));
  return { schemaVersion: 1, nodes, edges };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

/**
 * Milliseconds from navigation start until the whole graph is drawn: every node in the DOM and
 * measured (React Flow keeps a node hidden until it has its size), every edge in, and the frame
 * that shows them produced. Counting nodes in the DOM alone stopped the clock before a page that
 * inserts its nodes in a second render had styled and laid them out.
 */
async function loadTime(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: "commit" });
  // Strings, not closures: tsx would wrap a closure's inner functions in a helper the page lacks.
  return page.evaluate<number>(
    `new Promise((resolve) => {
      const drawn = () => {
        const nodes = document.querySelectorAll(".react-flow__node");
        if (nodes.length < ${NODES} || document.querySelectorAll(".react-flow__edge").length < ${NODES - 1}) return false;
        for (const node of nodes) if (node.style.visibility === "hidden") return false;
        return true;
      };
      const tick = () => drawn() ? requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)) : requestAnimationFrame(tick);
      tick();
    })`,
  );
}

/** Lets the page finish what it does after its first full frame, as an operator's first drag would. */
async function settle(page: Page): Promise<void> {
  for (let i = 0; i < 2; i++) await page.evaluate(`new Promise((resolve) => requestIdleCallback(() => resolve(null), { timeout: 2000 }))`);
}

/** Frame intervals (ms) while the mouse drags a node for 2 s. */
async function dragFrames(page: Page, nodeId: string): Promise<number[]> {
  const box = (await page.locator(`.react-flow__node[data-id="${nodeId}"]`).boundingBox())!;
  await page.evaluate(
    `(() => { window.__frames = []; window.__recording = true; let last = performance.now(); const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__recording) requestAnimationFrame(tick); }; requestAnimationFrame(tick); })()`,
  );
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  const started = Date.now();
  for (let i = 0; Date.now() - started < 2_000; i++) await page.mouse.move(x + 40 * Math.sin(i / 10) + i * 0.2, y + 30 * Math.cos(i / 10));
  await page.mouse.up();
  return page.evaluate<number[]>(`(() => { window.__recording = false; return window.__frames.slice(1); })()`);
}

export async function benchEditorCanvas(): Promise<void> {
  const graph = bigGraph();

  // Validate-on-change: the editor validates the graph after every edit; its store keeps the
  // objects of unchanged nodes, which the validation cache skips (opening the draft fills it).
  const cache = createValidationCache(registry);
  validateGraph(graph, registry, cache);
  const times: number[] = [];
  const uncached: number[] = [];
  const parses: number[] = [];
  for (let i = 0; i < 200; i++) {
    const changed = { ...graph, nodes: graph.nodes.map((n, j) => (j === i % NODES ? { ...n, position: { x: n.position.x + 1, y: n.position.y } } : n)) };
    let t = performance.now();
    validateGraph(changed, registry, cache);
    times.push(performance.now() - t);
    t = performance.now();
    validateGraph(changed, registry);
    uncached.push(performance.now() - t);
    t = performance.now();
    GraphSchema.safeParse(changed);
    parses.push(performance.now() - t);
  }
  report("editor: validate on change, 500 nodes, p95", p95(times.slice(20)), "ms", p95(parses.slice(20)));
  report("editor: validate on change without the cache, 500 nodes, p95", p95(uncached.slice(20)), "ms", p95(parses.slice(20)));

  const dir = mkdtempSync(join(tmpdir(), "keel-bench-editor-"));
  const env = { KEEL_DATA_DIR: dir, KEEL_PASSWORD: PASSWORD, NEXT_TELEMETRY_DISABLED: "1" };
  try {
    const config = loadConfig(env);
    await migrate(config.database, migrationsDir(config.database.provider));
    const database = await openDatabase(config.database);
    const wf = await servicesFor(config, database).workflows.create({ name: "Bench canvas", graph });
    await database.close();

    const port = await freePort();
    const keel = runKeel(["start"], { ...env, PORT: String(port) });
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      await keel.waitFor(/Keel is running at http:\/\/127\.0\.0\.1:\d+/, 600_000);
      const base = `http://127.0.0.1:${port}`;
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${base}/login`);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${base}/`);
      const pages = { editor: `${base}/workflows/${wf.id}`, baseline: `${base}/bench/canvas-baseline?workflow=${wf.id}` };
      const loads = { editor: [] as number[], baseline: [] as number[] };
      const frames = { editor: [] as number[], baseline: [] as number[] };
      await loadTime(page, pages.baseline); // warm both routes and the server
      await loadTime(page, pages.editor);
      for (let round = 0; round < ROUNDS; round++) {
        for (const which of ["baseline", "editor"] as const) {
          loads[which].push(await loadTime(page, pages[which]));
          await settle(page);
          frames[which].push(p95(await dragFrames(page, "set13")));
        }
      }
      report("editor: open a 500-node workflow, median", median(loads.editor), "ms", median(loads.baseline));
      report("editor: drag a node for 2 s, frame time p95, median", median(frames.editor), "ms", median(frames.baseline));
    } finally {
      await browser.close();
      keel.child.kill("SIGINT");
      await keel.exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
