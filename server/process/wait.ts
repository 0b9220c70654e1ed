import { createServer } from "node:net";

/** Polls `url` until it answers 2xx, the child exits, or the timeout passes. */
export async function waitForHttp(url: string, options: { timeoutMs: number; exited?: Promise<unknown> }): Promise<void> {
  let exited = false;
  void options.exited?.then(() => (exited = true));
  const deadline = Date.now() + options.timeoutMs;
  let lastError = "no answer";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the process serving ${url} exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
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
