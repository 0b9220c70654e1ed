import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../server/process/wait";
import { runKeel, type KeelProcess } from "../support/keel-process";

// Keel's web server as a client meets it: which Host it answers, and which address a sign-in
// counts against when the client forges X-Forwarded-For. Raw HTTP, because fetch cannot set Host.

const PASSWORD = "correct horse battery staple";

function raw(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("Keel's web server, with KEEL_PUBLIC_URL set", () => {
  let keel: KeelProcess;
  let port: number;
  let dataDir: string;
  let publicHost: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keel-web-"));
    port = await freePort();
    publicHost = `keel.test:${port}`;
    keel = runKeel(["start"], { KEEL_DATA_DIR: dataDir, PORT: String(port), KEEL_PASSWORD: PASSWORD, KEEL_PUBLIC_URL: `http://${publicHost}` });
    await keel.waitFor(/Keel is running at/);
  }, 300_000);
  afterAll(async () => {
    keel?.child.kill("SIGINT");
    await keel?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses requests for another Host than the public URL's", async () => {
    expect((await raw(port, { path: "/login", headers: { host: publicHost } })).status).toBe(200);
    for (const host of ["evil.example", `127.0.0.1:${port}`, `keel.test:${port + 1}`, `evil.example:${port}`]) {
      const refused = await raw(port, { path: "/login", headers: { host } });
      expect(refused.status, host).toBe(421);
      // Webhooks, which the front server answers without Next, too.
      expect((await raw(port, { method: "POST", path: "/api/webhooks/anything", headers: { host }, body: "{}" })).status, host).toBe(421);
    }
  });

  it("counts sign-ins against the socket's address, not a forged X-Forwarded-For", async () => {
    const guesses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        raw(port, {
          method: "POST",
          path: "/api/trpc/auth.login",
          headers: {
            host: publicHost,
            origin: `http://${publicHost}`,
            "x-keel-csrf": "1",
            "content-type": "application/json",
            "x-forwarded-for": `10.0.${i}.1`,
            "x-keel-peer": `10.1.${i}.1`,
          },
          body: JSON.stringify({ password: `wrong guess ${i}` }),
        }),
      ),
    );
    const statuses = guesses.map((g) => g.status);
    // 401 = compared and wrong; 429 = refused by the limit before any comparison.
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
  });
});

describe("keel start with PORT taken by another program", () => {
  // The other program takes the port after Keel's early check (e.g. during a build): only the
  // readiness check can tell, and it must not accept another server's answer as Keel's.
  it.each(["0.0.0.0", "::"])("stops with one line naming the port when a server on %s holds it, exit code 1", async (address) => {
    const dataDir = mkdtempSync(join(tmpdir(), "keel-port-"));
    const port = await freePort();
    const squatter = createServer((_req, res) => res.end("someone else"));
    try {
      const keel = runKeel(["start"], { KEEL_DATA_DIR: dataDir, PORT: String(port) });
      await keel.waitFor(/applied migrations/);
      await new Promise<void>((resolve, reject) => {
        squatter.once("error", reject);
        squatter.listen(port, address, resolve);
      });
      const code = await keel.exited;
      const output = keel.output();
      expect(code, output).toBe(1);
      expect(output).not.toMatch(/Keel is running/);
      expect(output).not.toMatch(/setup\?token=/);
      const naming = output.split("\n").filter((line) => line.includes(`:${port}`));
      expect(naming, output).toHaveLength(1);
      expect(naming[0]).toMatch(new RegExp(`PORT: .*:${port} is already in use`));
      // The squatter still answers: Keel stopped without disturbing it.
      expect((await raw(port, { path: "/" })).body).toBe("someone else");
    } finally {
      squatter.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
