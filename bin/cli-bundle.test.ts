import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript tooling without declarations
import { buildCli, cliEntry, freshEntry } from "./cli-bundle.js";

// A small project laid out like Keel's (server/cli/main.ts, tsconfig.json, package.json), so the
// cache is exercised without touching the real one that other tests' `keel` calls use.
describe("the bundled CLI cache", () => {
  let root: string;
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, ".."), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  const run = (entry: string) => execFileSync(process.execPath, [entry], { encoding: "utf8" }).trim();

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "keel-cli-bundle-"));
    write("package.json", JSON.stringify({ type: "module" }));
    write("tsconfig.json", JSON.stringify({ compilerOptions: { strict: true } }));
    write("bin/cli-bundle.js", "// stands in for the builder itself, an input of every build\n");
    write("server/process/where.ts", 'import { fileURLToPath } from "node:url";\nexport const here: string = fileURLToPath(import.meta.url);\n');
    write("server/cli/greeting.ts", 'export const greeting: string = "hello";\n');
    write(
      "server/cli/main.ts",
      'import { here } from "../process/where";\nconst { greeting } = await import("./greeting");\nconsole.log(JSON.stringify({ greeting, here }));\n',
    );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("builds once, keeps each file's own import.meta.url, and reuses the build while nothing changed", async () => {
    expect(freshEntry(root)).toBeUndefined();
    const entry = await buildCli(root);
    expect(JSON.parse(run(entry))).toEqual({ greeting: "hello", here: join(root, "server/process/where.ts") });
    expect(freshEntry(root)).toBe(entry);
    expect(await cliEntry(root)).toBe(entry);
  });

  it("ends racing builds of the same sources on one directory, so none removes what another is loading", async () => {
    const entries = await Promise.all([buildCli(root), buildCli(root), buildCli(root)]);
    expect(new Set(entries).size).toBe(1);
    expect(readdirSync(join(root, "node_modules/.cache/keel-cli")).sort()).toEqual([expect.stringMatching(/^build-[0-9a-f]{16}$/), "manifest.json"]);
    expect(JSON.parse(run(entries[0]!)).greeting).toBe("hello");
  });

  it("rebuilds when a source file, a lazily imported one included, changes", async () => {
    const first = await buildCli(root);
    write("server/cli/greeting.ts", 'export const greeting: string = "hello again";\n');
    // Same size edits within one clock tick still differ in mtime: set it apart explicitly.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, "server/cli/greeting.ts"), later, later);
    expect(freshEntry(root)).toBeUndefined();
    const second = await cliEntry(root);
    expect(second).not.toBe(first);
    expect(JSON.parse(run(second!)).greeting).toBe("hello again");
  });

  it("rebuilds when tsconfig.json changes, and after the build output is removed", async () => {
    await buildCli(root);
    write("tsconfig.json", JSON.stringify({ compilerOptions: { strict: true, target: "es2022" } }));
    expect(freshEntry(root)).toBeUndefined();
    const entry = await buildCli(root);
    rmSync(join(entry, ".."), { recursive: true, force: true });
    expect(freshEntry(root)).toBeUndefined();
  });

  it("gives no entry when the sources do not compile, so `keel` falls back to tsx and its error", async () => {
    write("server/cli/main.ts", "const = ;\n");
    expect(await cliEntry(root)).toBeUndefined();
  });

  it("runs the real project's `keel help` on the bundle", () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, "keel.js"), "help"], { encoding: "utf8" });
    expect(out).toContain("usage: keel <command>");
    expect(freshEntry()).toMatch(/node_modules\/\.cache\/keel-cli\/build-[^/]+\/main\.js$/);
    expect(pathToFileURL(freshEntry()).href).toContain("keel-cli");
  });
});
