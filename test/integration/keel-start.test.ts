import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../server/process/wait";
import { KeelHttp } from "../support/http";
import { runKeel } from "../support/keel-process";

const PASSWORD = "correct horse battery staple";

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-start-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Processes whose command line mentions `needle` (Chroma's carries the data directory). */
function processesMentioning(needle: string): string[] {
  return readdirSync("/proc")
    .filter((pid) => /^\d+$/.test(pid) && Number(pid) !== process.pid)
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
        return cmdline.includes(needle) ? [`${pid}: ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

describe("keel start", () => {
  it("serves the app on an embedded default, and Ctrl-C leaves nothing behind; a second start reuses the build", async () => {
    const dir = dataDir();
    for (const round of [1, 2]) {
      const port = await freePort();
      const keel = runKeel(["start"], { KEEL_DATA_DIR: dir, PORT: String(port), KEEL_PASSWORD: PASSWORD });
      try {
        await keel.waitFor(/Keel is running at http:\/\/127\.0\.0\.1:\d+/);
        const chromaPort = Number(keel.output().match(/local Chroma at http:\/\/127\.0\.0\.1:(\d+)/)![1]);
        if (round === 2) {
          expect(keel.output()).not.toMatch(/building the web app/);
          // Templates are seeded once per database, not on every start.
          expect(keel.output()).not.toMatch(/seeded template workflows/);
        }

        const health = await fetch(`http://127.0.0.1:${port}/api/trpc/health`).then((r) => r.json());
        expect(health.result.data).toMatchObject({ status: "ok", database: "sqlite" });
        const operator = new KeelHttp(`http://127.0.0.1:${port}`);
        expect((await operator.signIn(PASSWORD)).status).toBe(200);
        const list = await (await operator.call("workflow.list", "query")).json();
        expect(list.result.data.map((w: { slug: string }) => w.slug).sort()).toEqual([
          "content-publishing",
          "customer-onboarding",
          "support-triage",
        ]);
        // Published when seeded, so "Try it" works without a publish step; later starts add no version.
        expect(list.result.data.map((w: { currentVersion: number | null }) => w.currentVersion)).toEqual([1, 1, 1]);
        if (round === 1) expect(keel.output()).toMatch(/published template workflows: customer-onboarding, support-triage, content-publishing/);
        const page = await fetch(`http://127.0.0.1:${port}/`, { headers: operator.headers(), redirect: "manual" });
        expect(page.status).toBe(200);
        // Chroma starts on first use: nothing has used memory yet, so only its address is open.
        expect(processesMentioning(join(dir, "chroma"))).toEqual([]);
        expect(keel.output()).not.toMatch(/local Chroma started on first use/);
        expect(await fetch(`http://127.0.0.1:${chromaPort}/api/v2/heartbeat`).then((r) => r.status)).toBe(200);
        await keel.waitFor(/local Chroma started on first use/);
        expect(processesMentioning(join(dir, "chroma"))).toHaveLength(1);
        expect(existsSync(join(dir, "keel.db"))).toBe(true);
        expect(existsSync(join(dir, "keel.key"))).toBe(true);
        expect(existsSync(join(dir, "chroma"))).toBe(true);
        // How `keel memory …` finds this Chroma while Keel runs.
        expect(readFileSync(join(dir, "chroma.url"), "utf8")).toBe(`http://127.0.0.1:${chromaPort}`);
        // keel.pid names the running Keel: a backup works while it runs, a restore refuses.
        expect(readFileSync(join(dir, "keel.pid"), "utf8").trim()).toBe(String(keel.child.pid));
        if (round === 1) {
          const out = dataDir();
          const backup = runKeel(["backup", "--out", out], { KEEL_DATA_DIR: dir });
          expect(await backup.exited, backup.output()).toBe(0);
          const restore = runKeel(["restore", out, "--yes"], { KEEL_DATA_DIR: dir });
          expect(await restore.exited).toBe(1);
          expect(restore.output()).toContain(`(pid ${keel.child.pid}, from keel.pid): stop it before restoring`);
        }

        keel.child.kill("SIGINT");
        expect(await keel.exited).toBe(0);
        expect(existsSync(join(dir, "keel.pid"))).toBe(false);
        expect(existsSync(join(dir, "chroma.url"))).toBe(false);
        expect(await listening(port)).toBe(false);
        expect(await listening(chromaPort)).toBe(false);
        expect(processesMentioning(dir)).toEqual([]);
      } finally {
        keel.child.kill("SIGKILL");
      }
    }
  }, 300_000);

  it("refuses a wrong DATABASE_URL with one line and exit code 1, starting nothing", async () => {
    const dir = dataDir();
    const port = await freePort();
    const keel = runKeel(["start"], { KEEL_DATA_DIR: dir, PORT: String(port), DATABASE_URL: "postgresql://keel@127.0.0.1:1/keel" });
    expect(await keel.exited).toBe(1);
    const lines = keel.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^keel: DATABASE_URL: cannot open PostgreSQL at postgresql:\/\/keel@127\.0\.0\.1:1\/keel: .*ECONNREFUSED/);
    expect(await listening(port)).toBe(false);
    expect(processesMentioning(dir)).toEqual([]);
  });

  it.each([
    [{ DATABASE_URL: "mysql://root@127.0.0.1/keel" }, /^keel: DATABASE_URL: must start with file: \(SQLite\) or postgres:\/\/ \(PostgreSQL\)$/],
    [{ PORT: "eighty" }, /^keel: PORT: must be a port number$/],
    [{ KEEL_SECRET: "too-short" }, /^keel: KEEL_SECRET: must be at least 32 characters/],
  ])("refuses bad configuration %o with one line naming the variable", async (env, expected) => {
    const dir = dataDir();
    const keel = runKeel(["start"], { KEEL_DATA_DIR: dir, ...env });
    expect(await keel.exited).toBe(1);
    const lines = keel.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
    // Nothing half-started: not even the database file was created.
    expect(existsSync(join(dir, "keel.db"))).toBe(false);
  });

  it("refuses a port that is already taken before starting anything", async () => {
    const first = await freePort();
    const { createServer } = await import("node:net");
    const blocker = createServer().listen(first, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    try {
      const keel = runKeel(["start"], { KEEL_DATA_DIR: dataDir(), PORT: String(first) });
      expect(await keel.exited).toBe(1);
      expect(keel.output().trim()).toBe(`keel: PORT: 127.0.0.1:${first} is already in use; set PORT to a free port`);
    } finally {
      blocker.close();
    }
  });
});
