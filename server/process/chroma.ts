import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { SpawnOptions } from "node:child_process";
import { createRequire } from "node:module";
import { connect, createServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { Supervisor, type ManagedChild } from "./supervisor";
import { freePort, waitForHttp } from "./wait";

/** Chroma's bundled server on 127.0.0.1:port, its data in the data directory; resolves once it answers. */
async function runChroma(supervisor: Supervisor, dataDir: string, port: number, service: boolean): Promise<ManagedChild> {
  const require = createRequire(import.meta.url);
  // chromadb exports no package.json; its CommonJS entry sits in dist/cjs/, the CLI in dist/.
  const cli = join(dirname(require.resolve("chromadb")), "..", "cli.mjs");
  const path = join(dataDir, "chroma");
  mkdirSync(path, { recursive: true });
  const args = [cli, "run", "--path", path, "--host", "127.0.0.1", "--port", String(port)];
  // Chroma prints a banner on every start; keep only its errors.
  const options: SpawnOptions = { stdio: ["ignore", "ignore", "inherit"] };
  const child = service ? supervisor.spawn("chroma", process.execPath, args, options) : supervisor.runTask("chroma", process.execPath, args, options);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/api/v2/heartbeat`, { timeoutMs: 30_000, exited: child.exited });
  } catch (error) {
    // Not left half-started on the data directory: a retry starts a new one there.
    if (child.process.pid !== undefined) {
      try {
        process.kill(-child.process.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    throw error;
  }
  return child;
}

/** Starts Chroma's bundled server on 127.0.0.1 with its data in the data directory. */
export async function startLocalChroma(supervisor: Supervisor, dataDir: string, port: number): Promise<string> {
  const chosen = port || (await freePort());
  const child = await runChroma(supervisor, dataDir, chosen, true);
  const url = `http://127.0.0.1:${chosen}`;
  // So CLI commands (`keel memory reindex`) reach the Chroma of a running Keel.
  writeFileSync(urlFile(dataDir), url);
  void child.exited.then(() => rmSync(urlFile(dataDir), { force: true }));
  return url;
}

/**
 * `keel start`'s local Chroma, started on first use. Its address answers at once: a relay in
 * this process accepts connections there, and the first one starts Chroma (70–90 MB resident,
 * about half a second to start) and is passed through once it answers. A Keel whose workflows never
 * use memory never runs it. Should Chroma exit, the next connection starts it again. `close`
 * stops relaying (call it before stopping the supervisor, which stops Chroma).
 */
export async function localChromaOnDemand(
  supervisor: Supervisor,
  dataDir: string,
  port: number,
  log: (line: string) => void,
): Promise<{ url: string; close(): void }> {
  let upstream: Promise<number> | undefined;
  let closed = false;
  const chroma = () =>
    (upstream ??= (async () => {
      if (closed) throw new Error("Keel is stopping");
      const chosen = await freePort();
      const started = Date.now();
      const child = await runChroma(supervisor, dataDir, chosen, false);
      log(`local Chroma started on first use (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      void child.exited.then((code) => {
        upstream = undefined;
        if (!closed) log(`local Chroma exited (code ${code}); the next use starts it again`);
      });
      return chosen;
    })().catch((error: unknown) => {
      upstream = undefined;
      throw error;
    }));
  const relay = (client: Socket) => {
    // Until Chroma answers, what the client sends waits in its socket's buffer.
    client.on("error", () => client.destroy());
    chroma().then(
      (chosen) => {
        if (client.destroyed) return;
        const server = connect(chosen, "127.0.0.1");
        server.on("error", () => client.destroy());
        server.on("close", () => client.destroy());
        client.on("close", () => server.destroy());
        client.pipe(server).pipe(client);
      },
      (error: unknown) => {
        log(`local Chroma could not start: ${error instanceof Error ? error.message : String(error)}`);
        client.destroy();
      },
    );
  };
  const listener = createServer(relay);
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(port, "127.0.0.1", () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const address = listener.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;
  // So CLI commands (`keel memory reindex`) reach the Chroma of a running Keel.
  writeFileSync(urlFile(dataDir), url);
  const removeUrlFile = () => rmSync(urlFile(dataDir), { force: true });
  process.once("exit", removeUrlFile);
  return {
    url,
    close() {
      closed = true;
      listener.close();
      removeUrlFile();
    },
  };
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
