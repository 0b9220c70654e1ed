import { createServer } from "node:net";

/** The child serving a URL exited before it answered: it has said why itself. */
export class ExitedBeforeReadyError extends Error {}

/**
 * Polls `url` until it answers 2xx (with exactly `body`, when given: proof that it is the
 * expected server answering, not another program on the port), the child exits, or the
 * timeout passes.
 */
export async function waitForHttp(url: string, options: { timeoutMs: number; exited?: Promise<unknown>; body?: string }): Promise<void> {
  let exited = false;
  void options.exited?.then(() => (exited = true));
  const deadline = Date.now() + options.timeoutMs;
  let lastError = "no answer";
  while (Date.now() < deadline) {
    if (exited) throw new ExitedBeforeReadyError(`the process serving ${url} exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      const text = options.body === undefined ? "" : await response.text();
      if (response.ok && (options.body === undefined || text === options.body)) return;
      lastError = response.ok ? "another program answered" : `HTTP ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not ready after ${options.timeoutMs / 1000} s (${lastError})`);
}

/** A free TCP port on the given host, chosen by the kernel. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** True when something already listens on host:port. */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}
