import { parseArgs } from "node:util";
import { ConfigurationError, ValidationError } from "../../engine/errors";
import { loadConfig } from "../config";
import { PROJECT_ROOT } from "../process/paths";
import { serveWeb } from "../web/serve";

// `keel serve-web --nonce N`: the web server process `keel start` supervises (internal).

export async function serveWebCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { nonce: { type: "string" } }, allowPositionals: true });
  if (!values.nonce) throw new ValidationError("--nonce: is required");
  const config = loadConfig();
  try {
    await serveWeb({ dir: PROJECT_ROOT, host: config.host, port: config.port, nonce: values.nonce, publicUrl: config.publicUrlConfigured ? config.publicUrl : undefined });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw new ConfigurationError(`PORT: ${config.host}:${config.port} is already in use by another program; set PORT to a free port`, "PORT");
    }
    throw error;
  }
  // Serves until a signal ends the process.
  return new Promise<number>(() => undefined);
}
