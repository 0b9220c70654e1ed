// `npm run test:stress`: the timing-sensitive test files, 5 rounds, with every core kept busy by
// a busy-loop child, as a loaded CI machine would. A test that depends on something finishing
// "in time" instead of waiting for what it asserts fails here. Extra arguments are passed to
// Vitest (e.g. a file to stress instead of the list below).
import { spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

const FILES = ["test/integration/memory.test.ts", "test/integration/memory-inline-index.test.ts"];
const ROUNDS = 5;

const files = process.argv.slice(2).length ? process.argv.slice(2) : FILES;
const cores = availableParallelism();
const hogs = Array.from({ length: cores }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
const stopHogs = () => {
  for (const hog of hogs) if (hog.exitCode === null) hog.kill("SIGKILL");
};
process.on("exit", stopHogs);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

console.log(`test:stress: ${files.join(", ")}, ${ROUNDS} rounds, ${cores} busy-loop process(es) keeping the cores busy`);
const started = Date.now();
let failed = 0;
for (let round = 1; round <= ROUNDS; round++) {
  const result = spawnSync("npx", ["vitest", "run", ...files], { stdio: "inherit" });
  console.log(`test:stress: round ${round}/${ROUNDS} ${result.status === 0 ? "passed" : `FAILED (exit ${result.status})`}`);
  if (result.status !== 0) failed++;
}
stopHogs();
console.log(`test:stress: ${ROUNDS - failed}/${ROUNDS} rounds passed in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(failed ? 1 : 0);
