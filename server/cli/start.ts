import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ConfigurationError } from "../../engine/errors";
import { loadConfig } from "../config";
import { createLogger } from "../log";
import { localChromaOnDemand } from "../process/chroma";
import { removePidFile, writePidFile } from "../process/pid-file";
import { PROJECT_ROOT } from "../process/paths";
import { Supervisor } from "../process/supervisor";
import { ExitedBeforeReadyError, portInUse, waitForHttp } from "../process/wait";
import { buildIsCurrent, buildWebApp } from "../process/web-build";
import { READY_PATH } from "../web/ready";
import type { Prepared } from "./prepare";

export interface StartOptions {
  log?: (line: string) => void;
  /** False for `keel start --no-worker` / `keel web`: the web server only, workers run apart. */
  worker?: boolean;
}

const KEEL_BIN = join(PROJECT_ROOT, "bin", "keel.js");

/**
 * V8 flags for the web server, chosen by its resident memory after the webhook bench's load
 * (runs per second unchanged within the noise): its live heap is about 75 MB, but by default
 * V8 let the young generation take 34 MB and the old one grow to three times the live heap
 * under load; and optimising Prisma's query compiler (Wasm) beyond the baseline compiler cost
 * 10–60 MB for no measurable speed. 310 MB after the load became 165–190 MB. The price: the
 * offline embedder, when this process uses it (a synchronous webhook's memory step, routing
 * an intent), embeds about 1.5 times slower; the worker, where memory steps normally run, keeps
 * full speed. Without `--liftoff-only`, `keel start` measured 697–720 MB after the bench's
 * memory runs, too close to its 750 MB budget; with it, 669–681 MB.
 */
const WEB_NODE_FLAGS = ["--max-semi-space-size=4", "--heap-growing-percent=30", "--liftoff-only"];

/**
 * Migrations, templates and the password, in a short child (`keel prepare`): this process only
 * supervises, and never loads Prisma or the migrations (about 190 MB it would hold for as long
 * as Keel runs). Undefined when the child failed; it said why on stderr, in one line.
 */
async function prepareInChild(env: NodeJS.ProcessEnv): Promise<Prepared | undefined> {
  const child = spawn(process.execPath, [KEEL_BIN, "prepare", "--setup-link"], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let prepared: Prepared | undefined;
  child.on("message", (message) => (prepared = message as Prepared));
  const code = await new Promise<number | null>((resolve) => {
    child.once("exit", (exitCode) => resolve(exitCode));
    child.once("error", () => resolve(127));
  });
  return code === 0 ? prepared : undefined;
}

/**
 * `keel start`: migrate and seed the database, build the web app when needed, open the local
 * Chroma's address (unless CHROMA_URL is set; Chroma starts on first use), start the worker and
 * the web server, and stop all of them on Ctrl-C.
 */
export async function start(options: StartOptions = {}): Promise<number> {
  const config = loadConfig();
  // Logs on stderr as JSON lines (pretty on a terminal), the children's merged in by the supervisor.
  const logger = createLogger(config, "start");
  const log = options.log ?? ((line: string) => logger.info({}, line));
  if (await portInUse(config.host, config.port)) {
    throw new ConfigurationError(`PORT: ${config.host}:${config.port} is already in use; set PORT to a free port`, "PORT");
  }
  // keel.pid tells `keel restore` that Keel is running on this data directory; every way out
  // of the CLI ends in process.exit, which removes it.
  writePidFile(config.dataDir);
  process.once("exit", () => removePidFile(config.dataDir));
  const prepared = await prepareInChild({ ...process.env });
  if (!prepared) return 1;
  const { seeded, published, unpublished, applied, setupToken, passwordFromConfig } = prepared;
  if (applied.length) log(`applied migrations: ${applied.join(", ")}`);
  if (seeded.length) log(`seeded template workflows: ${seeded.join(", ")}`);
  if (published.length) log(`published template workflows: ${published.join(", ")}`);
  for (const { slug, reason } of unpublished) logger.warn({ workflow: slug }, `template workflow not published: ${reason}`);
  if (passwordFromConfig) log("the operator password was set from KEEL_PASSWORD; existing sessions were signed out");

  const supervisor = new Supervisor(log, logger);
  // Set once the local Chroma's address is open: closed first on the way out, so nothing starts Chroma anew.
  let closeChroma = () => undefined as void;
  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      log(`${reason}; stopping`);
      closeChroma();
      await supervisor.stopAll();
    })();
    return stopping;
  };
  const interrupted = new Promise<number>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(signal, () => void stop(`received ${signal}`).then(() => resolve(0)));
    }
  });

  try {
    const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
    if (!buildIsCurrent(PROJECT_ROOT)) {
      log("building the web app (first start or changed sources; about a minute)");
      await Promise.race([buildWebApp(PROJECT_ROOT, supervisor, nextBin), interrupted.then(() => Promise.reject(new Error("interrupted")))]);
    }

    let chromaUrl = config.chromaUrl;
    if (!chromaUrl) {
      const chroma = await localChromaOnDemand(supervisor, config.dataDir, config.chromaPort, log);
      closeChroma = chroma.close;
      chromaUrl = chroma.url;
      log(`local Chroma at ${chromaUrl} (data in ${config.dataDir}/chroma; starts on first use)`);
    }

    const env = {
      // glibc gives threads that allocate their own malloc arenas (up to 8 per core) and seldom
      // returns what is freed in them; with two, each child held 40–70 MB less after the load.
      // Before the spread, so an operator's own setting wins.
      MALLOC_ARENA_MAX: "2",
      ...process.env,
      NODE_ENV: "production" as const,
      NEXT_TELEMETRY_DISABLED: "1",
      KEEL_DATA_DIR: config.dataDir,
      // Absolute, so the child agrees with us whatever its working directory.
      DATABASE_URL: config.database.provider === "sqlite" ? `file:${config.database.file}` : config.database.url,
      CHROMA_URL: chromaUrl,
      // Only when set: then the web server refuses requests for any other Host.
      ...(config.publicUrlConfigured ? { KEEL_PUBLIC_URL: config.publicUrl } : {}),
    };
    // Payload retention runs in one child, now and every 24 h: the worker, or without one the web server.
    if (options.worker === false) log("no worker (--no-worker): runs advance only where `keel worker` runs");
    else supervisor.spawn("worker", process.execPath, [KEEL_BIN, "worker", "--retention", "--prepared"], { cwd: PROJECT_ROOT, env });
    // Keel's own server in front of Next's handler: it tells route handlers the socket's address.
    const nonce = randomBytes(16).toString("hex");
    const web = supervisor.spawn("web", process.execPath, [...WEB_NODE_FLAGS, KEEL_BIN, "serve-web", "--nonce", nonce, ...(options.worker === false ? ["--retention"] : [])], {
      cwd: PROJECT_ROOT,
      env,
    });
    const local = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
    // The ready path is answered before the Host check, so a KEEL_PUBLIC_URL elsewhere does not matter.
    // Only this start's nonce proves it is this Keel answering: another program that took the
    // port after the check above (during a build) answers too, and our server then exits with
    // one line naming the port (EADDRINUSE).
    await waitForHttp(`${local}${READY_PATH}`, { timeoutMs: 60_000, exited: web.exited, body: nonce });
    log(`Keel is running at ${config.publicUrl}  (Ctrl-C stops it)`);
    if (setupToken) {
      log(`no operator password yet: open ${config.publicUrl}/setup?token=${setupToken} to set one (the link works once)`);
    }

    const outcome = await Promise.race([interrupted, supervisor.firstUnexpectedExit()]);
    if (typeof outcome === "number") return outcome;
    logger.error({ child: outcome.name, code: outcome.code }, `${outcome.name} exited unexpectedly (code ${outcome.code})`);
    await stop(`${outcome.name} exited unexpectedly`);
    return 1;
  } catch (error) {
    if (error instanceof ExitedBeforeReadyError) {
      // The web server said why in one line (the port in use); stop the rest without more.
      closeChroma();
      stopping ??= supervisor.stopAll();
      await stopping;
      return 1;
    }
    await stop(error instanceof Error ? error.message : String(error));
    if (error instanceof Error && error.message === "interrupted") return 0;
    throw error;
  }
}
