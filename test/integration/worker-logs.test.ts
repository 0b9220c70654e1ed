import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { runKeel, type KeelProcess } from "../support/keel-process";

// A worker's logs through a real database outage: a TCP relay on 127.0.0.1 stands between the
// worker and PostgreSQL, and the test cuts it (connections refused) and restores it. Before,
// each worker printed ~830 multi-line Prisma errors a minute, with no backoff.

const OUTAGE_MS = 8_000;

/** A relay to host:port that can refuse connections for a while, as a database that went down. */
async function relay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("error", () => undefined);
          s.on("close", () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    async cut() {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    open,
  };
}

interface Line {
  level: number | string;
  msg: string;
  [key: string]: unknown;
}

describe.each(databaseKinds().filter((k) => k.name === "postgres"))("worker logs through a database outage on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let dataDir: string;
  let worker: KeelProcess | undefined;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    dataDir = mkdtempSync(join(tmpdir(), "keel-logs-"));
  });
  afterAll(async () => {
    worker?.child.kill("SIGKILL");
    await env?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("writes JSON lines with levels, says once that the database is down and once that it is back, and backs off meanwhile", async () => {
    const url = new URL(env.scratch.target.url);
    const gate = await relay({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = "127.0.0.1";
    url.port = String(gate.port);
    worker = runKeel(["worker"], { KEEL_DATA_DIR: dataDir, DATABASE_URL: url.toString(), KEEL_WORKER_IDLE_MS: "100", KEEL_SCHEDULER_INTERVAL_MS: "200" });
    await worker.waitFor(/running/, 120_000);
    const before = worker.output().length;

    await gate.cut();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const duringOutage = worker.output().slice(before);
    await gate.open();
    await worker.waitFor(/database.*(back|reachable again)/i, 30_000);
    worker.child.kill("SIGTERM");
    await worker.exited;

    const lines = worker.output().split("\n").filter((l) => l.trim());
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
    for (const line of parsed) {
      expect(line.level, JSON.stringify(line)).toBeDefined();
      expect(typeof line.msg, JSON.stringify(line)).toBe("string");
    }
    const down = parsed.filter((l) => /database/i.test(l.msg) && /(down|unreachable|unavailable)/i.test(l.msg));
    const back = parsed.filter((l) => /database/i.test(l.msg) && /(back|reachable again)/i.test(l.msg));
    expect(down, lines.join("\n")).toHaveLength(1);
    expect(back, lines.join("\n")).toHaveLength(1);
    // Backoff: a handful of lines in the whole outage, not two a second per loop.
    const outageLines = duringOutage.split("\n").filter((l) => l.trim());
    expect(outageLines.length, duringOutage).toBeLessThanOrEqual(6);
  }, 180_000);
});
