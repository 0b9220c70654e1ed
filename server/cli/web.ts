import { parseArgs } from "node:util";
import { ValidationError } from "../../engine/errors";
import { loadConfig } from "../config";
import { consoleToLogger, webLogger } from "../log";
import { PROJECT_ROOT } from "../process/paths";
import { serveWeb } from "../web/serve";

// `keel serve-web --nonce N`: the web server process `keel start` supervises (internal).

export async function serveWebCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { nonce: { type: "string" }, retention: { type: "boolean" } }, allowPositionals: true });
  if (!values.nonce) throw new ValidationError("--nonce: is required");
  const config = loadConfig();
  // Every line this process writes is a JSON log line, Next's own included.
  const log = webLogger();
  consoleToLogger(log);
  try {
    await serveWeb({ dir: PROJECT_ROOT, host: config.host, port: config.port, nonce: values.nonce, publicUrl: config.publicUrlConfigured ? config.publicUrl : undefined });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE") {
      log.error({ host: config.host, port: config.port }, `PORT: ${config.host}:${config.port} is already in use by another program; set PORT to a free port`);
      return 1;
    }
    throw error;
  }
  log.info({ host: config.host, port: config.port }, `web server listening on ${config.host}:${config.port}`);
  // `keel start --no-worker` has no worker of its own to prune old payloads: this process does.
  if (values.retention) (await import("../services/retention")).startRetentionTimer(config, { log: (line) => log.info({}, line) });
  // Serves until a signal ends the process.
  return new Promise<number>(() => undefined);
}
