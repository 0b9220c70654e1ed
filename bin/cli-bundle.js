// The compiled form of the `keel` command. Keel's CLI is TypeScript; running it through tsx
// transpiles its whole import graph on every call (~0.5 s before the first line of our own code).
// Instead the CLI is bundled once with esbuild into node_modules/.cache/keel-cli and reused while
// none of its source files changed. Packages stay external (loaded from node_modules as usual),
// dynamic imports stay separate chunks so `keel help` still loads almost nothing, and every
// `import.meta.url` keeps meaning the source file it was written in, so paths computed from it
// (the project root, createRequire) resolve exactly as they do under tsx.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = "server/cli/main.ts";
/** Files that shape the build without being imported by it. */
const BUILD_INPUTS = ["bin/cli-bundle.js", "tsconfig.json", "package.json"];
const STALE_BUILD_MS = 24 * 60 * 60 * 1000;

export function cacheDirectory(root = ROOT) {
  return join(root, "node_modules", ".cache", "keel-cli");
}

function stamp(file) {
  const { mtimeMs, size } = statSync(file);
  return `${mtimeMs}:${size}`;
}

/**
 * The current build's entry file when every file it was built from is unchanged, else undefined.
 * A new source file can only enter the build through an edit to a file already in it, so
 * checking the recorded inputs is enough.
 */
export function freshEntry(root = ROOT) {
  const dir = cacheDirectory(root);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch {
    return undefined;
  }
  if (manifest.node !== process.version) return undefined;
  try {
    for (const [file, recorded] of Object.entries(manifest.inputs)) {
      if (stamp(join(root, file)) !== recorded) return undefined;
    }
  } catch {
    return undefined;
  }
  const entry = join(dir, manifest.build, "main.js");
  return existsSync(entry) ? entry : undefined;
}

/**
 * Bundles the CLI and points the manifest at the build; returns its entry file. A build is
 * named by its inputs, so `keel` calls racing on a fresh clone all end up on one directory.
 */
let buildsInFlight = 0;
let scratchCount = 0;

export async function buildCli(root = ROOT) {
  const esbuild = await import("esbuild");
  const dir = cacheDirectory(root);
  const scratch = join(dir, `tmp-${process.pid}-${Date.now().toString(36)}-${++scratchCount}`);
  mkdirSync(dir, { recursive: true });
  const keepSourceUrl = {
    name: "keel-source-import-meta-url",
    setup(b) {
      b.onLoad({ filter: /\.[cm]?tsx?$/ }, (args) => {
        if (args.path.includes(`${join("node_modules", "")}`)) return undefined;
        const source = readFileSync(args.path, "utf8");
        const url = JSON.stringify(pathToFileURL(args.path).href);
        return { contents: source.replace(/\bimport\.meta\.url\b/g, url), loader: args.path.endsWith("x") ? "tsx" : "ts" };
      });
    },
  };
  let result;
  buildsInFlight++;
  try {
    result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: { main: join(root, ENTRY) },
      outdir: scratch,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: `node${process.versions.node.split(".")[0]}`,
      packages: "external",
      sourcemap: "linked",
      metafile: true,
      logLevel: "silent",
      plugins: [keepSourceUrl],
    });
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  } finally {
    // esbuild keeps a service process for later builds; there are none, and a `keel start`
    // would carry it (about 60 MB) for as long as Keel runs. Builds racing in this process
    // share that service: only the last one to finish stops it.
    if (--buildsInFlight === 0) await esbuild.stop?.();
  }
  const inputs = {};
  for (const file of [...Object.keys(result.metafile.inputs), ...BUILD_INPUTS].sort()) {
    const absolute = resolve(root, file);
    inputs[relative(root, absolute)] = stamp(absolute);
  }
  const build = `build-${createHash("sha256").update(JSON.stringify([process.version, inputs])).digest("hex").slice(0, 16)}`;
  try {
    renameSync(scratch, join(dir, build));
  } catch {
    // The same build finished first in another `keel`: use that one.
    rmSync(scratch, { recursive: true, force: true });
  }
  // Written aside and renamed: a concurrent `keel` reads either the old manifest or the new one.
  const temporary = join(dir, `manifest.${process.pid}.json`);
  writeFileSync(temporary, JSON.stringify({ build, node: process.version, inputs }));
  renameSync(temporary, join(dir, "manifest.json"));
  pruneOldBuilds(dir, build);
  return join(dir, build, "main.js");
}

/**
 * Removes builds no `keel` is likely still loading lazy chunks from: a long-running
 * `keel start` keeps using the build it started on, so only day-old ones go.
 */
function pruneOldBuilds(dir, current) {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    if (name === current || !(name.startsWith("build-") || name.startsWith("tmp-"))) continue;
    try {
      if (now - statSync(join(dir, name)).mtimeMs > STALE_BUILD_MS) rmSync(join(dir, name), { recursive: true, force: true });
    } catch {
      // Removed by a concurrent `keel` already.
    }
  }
}

/** The entry to import: the cached build, a fresh one, or undefined when bundling is impossible here. */
export async function cliEntry(root = ROOT) {
  const fresh = freshEntry(root);
  if (fresh) return fresh;
  try {
    return await buildCli(root);
  } catch {
    // A read-only install or a missing esbuild: the caller falls back to tsx, slower but equal.
    return undefined;
  }
}
