import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../server/process/wait";
import { KeelHttp } from "../support/http";
import { runKeel } from "../support/keel-process";

// `keel start` as an operator's log collector sees it: every line on stderr, from the
// supervisor, the web server, the worker and Chroma alike, is one JSON object with a level,
// through bad requests and a stop. Before, only `keel worker` logged that way.

const PASSWORD = "correct horse battery staple";

interface Line {
  level: number;
  msg: string;
  process?: string;
  [key: string]: unknown;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("keel start's logs", () => {
  it("are JSON lines with levels from every process, through bad requests and a stop, and name no secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-start-logs-"));
    dirs.push(dir);
    const port = await freePort();
    const keel = runKeel(["start"], { KEEL_DATA_DIR: dir, PORT: String(port), KEEL_PASSWORD: PASSWORD });
    try {
      // The first start builds the web app: minutes on a loaded machine.
      await keel.waitFor(/Keel is running at/, 540_000);
      const http = new KeelHttp(`http://127.0.0.1:${port}`);
      // Bad requests: a malformed tRPC input, a webhook for no workflow, a wrong password.
      expect((await http.call("auth.login", "mutation", { password: 42 })).status).toBe(400);
      expect((await fetch(`${http.base}/api/webhooks/no-such-workflow`, { method: "POST", body: "{" })).status).toBeGreaterThanOrEqual(400);
      expect((await http.signIn("wrong guess")).status).toBe(401);
      expect((await http.signIn(PASSWORD)).status).toBe(200);
    } finally {
      keel.child.kill("SIGTERM");
    }
    expect(await keel.exited).toBe(0);

    const lines = keel.errors().split("\n").filter((l) => l.trim());
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON log line: ${line}\n\nall of stderr:\n${keel.errors()}`);
      }
    });
    for (const line of parsed) {
      expect(typeof line.level, JSON.stringify(line)).toBe("number");
      expect(typeof line.msg, JSON.stringify(line)).toBe("string");
      expect(typeof line.process, JSON.stringify(line)).toBe("string");
    }
    const processes = new Set(parsed.map((l) => l.process));
    for (const name of ["start", "web", "worker"]) expect([...processes], `no line from ${name}`).toContain(name);
    expect(parsed.some((l) => l.process === "start" && l.level === 30 && /Keel is running at http:\/\/127\.0\.0\.1:\d+/.test(l.msg))).toBe(true);
    expect(parsed.some((l) => l.process === "start" && /stopping/.test(l.msg))).toBe(true);
    expect(keel.errors()).not.toContain(PASSWORD);
  }, 600_000);
});
