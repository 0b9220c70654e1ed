import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort, waitForHttp } from "../../server/process/wait";

// A real Chroma server (the CLI chromadb ships) on 127.0.0.1 with its data in a folder of its
// own; it can be stopped and started again on the same data to test persistence.

const cli = join(dirname(createRequire(import.meta.url).resolve("chromadb")), "..", "cli.mjs");

export interface ChromaServer {
  readonly url: string;
  readonly path: string;
  stop(): Promise<void>;
  /** Starts again on the same data and port. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** `path`: where Chroma keeps its data (default: a new temporary folder). */
export async function startChroma(options: { path?: string } = {}): Promise<ChromaServer> {
  const path = options.path ?? mkdtempSync(join(tmpdir(), "keel-chroma-"));
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let url = "";
  const port = await freePort();
  const up = async () => {
    child = spawn(process.execPath, [cli, "run", "--path", path, "--host", "127.0.0.1", "--port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
    exited = new Promise((resolve) => child!.once("exit", resolve));
    url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/api/v2/heartbeat`, { timeoutMs: 30_000, exited });
  };
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  await up();
  return {
    get url() {
      return url;
    },
    path,
    stop,
    async restart() {
      await stop();
      await up();
    },
    async dispose() {
      await stop();
      rmSync(path, { recursive: true, force: true });
    },
  };
}
