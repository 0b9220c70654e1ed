// `npm run bench`: every benchmark, one JSON line each. Set KEEL_TEST_DATABASE_URL to include Postgres.
import { benchEngine } from "./engine";
import { benchGraphs } from "./graph";
import { benchMemory } from "./memory";
import { benchStoreWrites } from "./store-writes";

const benches: [string, () => Promise<void>][] = [
  ["graph validate + compile", benchGraphs],
  ["store writes", benchStoreWrites],
  ["durable engine steps", benchEngine],
  ["memory recall", benchMemory],
];

for (const [name, run] of benches) {
  try {
    await run();
  } catch (error) {
    console.error(`bench '${name}' failed:`, error);
    process.exitCode = 1;
  }
}
