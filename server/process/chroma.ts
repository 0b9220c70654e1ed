import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Supervisor } from "./supervisor";
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
  // So CLI commands (`keel memory reindex`) reach the Chroma of a running Keel.
  writeFileSync(urlFile(dataDir), url);
  void child.exited.then(() => rmSync(urlFile(dataDir), { force: true }));
  return url;
}

const urlFile = (dataDir: string) => join(dataDir, "chroma.url");

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** The URL of the local Chroma of a `keel start` running on this data directory, if it answers. */
export async function runningChromaUrl(dataDir: string): Promise<string | undefined> {
  let url: string;
  try {
    url = readFileSync(urlFile(dataDir), "utf8").trim();
  } catch {
    return undefined;
  }
  return url && (await answers(url)) ? url : undefined;
}

/**
 * The Chroma a CLI command should use: CHROMA_URL, else the local one of a running `keel start`,
 * else a local one started for the command on the same data (stopped by `close`).
 */
export async function chromaForCommand(config: { chromaUrl: string | undefined; dataDir: string }, log: (line: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  if (config.chromaUrl) return { url: config.chromaUrl, close: async () => undefined };
  const running = await runningChromaUrl(config.dataDir);
  if (running) return { url: running, close: async () => undefined };
  const supervisor = new Supervisor(log);
  const url = await startLocalChroma(supervisor, config.dataDir, 0);
  return { url, close: () => supervisor.stopAll() };
}
