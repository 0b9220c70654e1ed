// `npm run bench`: every benchmark, one JSON line each. Set KEEL_TEST_DATABASE_URL to include Postgres.
// `npm run bench -- engine` runs only the benchmarks whose name contains "engine".
import { benchEditorCanvas } from "./editor-canvas";
import { benchDashboard } from "./dashboard";
import { benchCli } from "./cli";
import { benchEngine } from "./engine";
import { benchGraphs } from "./graph";
import { benchIntentRouting } from "./intent-routing";
import { benchMemory } from "./memory";
import { benchReplay } from "./replay";
import { benchStoreWrites } from "./store-writes";
import { benchWebhook } from "./webhook";

const benches: [string, () => Promise<void>][] = [
  ["graph validate + compile", benchGraphs],
  ["store writes", benchStoreWrites],
  ["durable engine steps", benchEngine],
  ["synchronous webhook under load", benchWebhook],
  ["memory recall", benchMemory],
  ["intent routing accuracy", benchIntentRouting],
  ["editor canvas", benchEditorCanvas],
  ["dashboard queries", benchDashboard],
  ["cli keel run", benchCli],
  ["replay and runs list", benchReplay],
];

const only = process.argv.slice(2);
for (const [name, run] of benches) {
  if (only.length && !only.some((word) => name.includes(word))) continue;
  try {
    await run();
  } catch (error) {
    console.error(`bench '${name}' failed:`, error);
    process.exitCode = 1;
  }
}
