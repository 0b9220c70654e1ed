import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Supervisor } from "./supervisor";
import { freePort, waitForHttp } from "./wait";

/** Starts Chroma's bundled server on 127.0.0.1 with its data in the data directory. */
export async function startLocalChroma(supervisor: Supervisor, dataDir: string, port: number): Promise<string> {
  const require = createRequire(import.meta.url);
  // chromadb exports no package.json; its CommonJS entry sits in dist/cjs/, the CLI in dist/.
  const cli = join(dirname(require.resolve("chromadb")), "..", "cli.mjs");
  const path = join(dataDir, "chroma");
  mkdirSync(path, { recursive: true });
  const chosen = port || (await freePort());
  const child = supervisor.spawn("chroma", process.execPath, [cli, "run", "--path", path, "--host", "127.0.0.1", "--port", String(chosen)], {
    // Chroma prints a banner on every start; keep only its errors.
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${chosen}`;
  await waitForHttp(`${url}/api/v2/heartbeat`, { timeoutMs: 30_000, exited: child.exited });
  return url;
}
