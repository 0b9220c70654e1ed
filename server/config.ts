import { resolve } from "node:path";
import { z } from "zod";
import { ConfigurationError } from "../engine/errors";
import { parseDatabaseUrl, type DatabaseTarget } from "../engine/store/database-url";
import { parseAllowEntry } from "../infra/http/allowlist";
import { parseCidr } from "../infra/http/ip";

// All configuration comes from the environment, validated by this one schema at start-up.
// Bad configuration fails fast with one sentence naming the variable, before anything starts.

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .pipe(z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).optional());

const optionalString = z
  .string()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

/** A duration in whole milliseconds, at least `min` (so a typo cannot make a loop spin). */
const milliseconds = (fallback: number, min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number of milliseconds (e.g. ${fallback})`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min} (milliseconds)`).max(24 * 3_600_000, "must be at most 86400000 (a day)"))
    .optional()
    .transform((value) => value ?? fallback);

export const CRASH_POINTS = ["before-effect", "after-effect", "after-commit"] as const;

export const EnvSchema = z.object({
  KEEL_DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: optionalString,
  CHROMA_URL: optionalUrl.optional(),
  OPENAI_BASE_URL: optionalUrl.optional(),
  OPENAI_API_KEY: optionalString,
  // Which embedder memory uses: auto = the OpenAI-compatible endpoint when one is configured,
  // else the built-in offline one. Changing it needs `keel memory reindex`.
  KEEL_EMBEDDER: z.enum(["auto", "local", "openai"]).default("auto"),
  KEEL_EMBEDDING_MODEL: z.string().trim().min(1).default("text-embedding-3-small"),
  // Needed for models whose dimension Keel does not know; also sent as `dimensions` when set.
  KEEL_EMBEDDING_DIMENSIONS: z.coerce.number({ message: "must be a whole number" }).int("must be a whole number").min(1).max(16_384).optional(),
  KEEL_SECRET: optionalString.pipe(
    z.string().min(32, "must be at least 32 characters (e.g. `openssl rand -hex 32`)").optional(),
  ),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce
    .number({ message: "must be a port number" })
    .int("must be a whole number")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535")
    .default(3000),
  KEEL_PUBLIC_URL: optionalUrl.optional(),
  // 0 lets `keel start` pick a free port for its local Chroma.
  KEEL_CHROMA_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  KEEL_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // When set, the operator password: applied at every start (sessions end when it changes).
  KEEL_PASSWORD: optionalString.pipe(z.string().min(10, "must be at least 10 characters").optional()),
  // Egress allowlist entries added to the one in Settings, comma-separated (e.g. 127.0.0.1, *.corp.example).
  KEEL_EGRESS_ALLOW: z
    .string()
    .default("")
    .transform((value) => value.split(",").map((e) => e.trim()).filter(Boolean))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        const parsed = parseAllowEntry(entry);
        if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
      }
    }),
  // Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges, comma-separated);
  // none by default, so a client cannot choose the address its sign-in attempts count against.
  KEEL_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((value) => value.split(",").map((e) => e.trim()).filter(Boolean))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        if (!parseCidr(entry)) ctx.addIssue({ code: "custom", message: `'${entry}' is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8)` });
      }
    }),
  // The worker's timings. A claimed run's lease: a worker that dies holding runs leaves them
  // waiting this long before another worker takes them over.
  KEEL_LEASE_MS: milliseconds(30_000, 1_000),
  // How long an idle worker waits before looking for work again (new work wakes it earlier).
  KEEL_WORKER_IDLE_MS: milliseconds(500, 10),
  // How often each worker fires due schedules and reminders.
  KEEL_SCHEDULER_INTERVAL_MS: milliseconds(5_000, 100),
  // How often each worker approves what an approval node's autonomy rule covers.
  KEEL_AUTONOMY_INTERVAL_MS: milliseconds(2_000, 100),
  // How often each worker runs memory upkeep (summaries, indexing items that missed the index).
  KEEL_MEMORY_UPKEEP_MS: milliseconds(60_000, 1_000),
  // Tests only: kill the worker at this point of a step, to prove crash recovery.
  KEEL_CRASH_AT: z.enum(CRASH_POINTS, { message: `must be one of ${CRASH_POINTS.join(", ")}` }).optional(),
  KEEL_SESSION_HOURS: z.coerce.number({ message: "must be a number of hours" }).positive("must be positive").max(24 * 365).default(24 * 7),
});

export interface KeelConfig {
  dataDir: string;
  database: DatabaseTarget;
  chromaUrl: string | undefined;
  chromaPort: number;
  openai: { baseUrl: string; apiKey: string | undefined } | undefined;
  embedding: EmbeddingConfig;
  secret: string | undefined;
  host: string;
  port: number;
  publicUrl: string;
  /** Set when KEEL_PUBLIC_URL is: the web server refuses requests for any other Host. */
  publicUrlConfigured: boolean;
  logLevel: "debug" | "info" | "warn" | "error";
  password: string | undefined;
  sessionTtlMs: number;
  /** Egress allowlist entries from KEEL_EGRESS_ALLOW, added to the stored one. */
  egressAllow: string[];
  worker: WorkerTimings;
  /** KEEL_TRUSTED_PROXIES: proxies whose X-Forwarded-For is believed. */
  trustedProxies: string[];
}

export interface WorkerTimings {
  leaseMs: number;
  idleMs: number;
  schedulerIntervalMs: number;
  autonomyIntervalMs: number;
  memoryUpkeepMs: number;
  crashAt: (typeof CRASH_POINTS)[number] | undefined;
}

export type EmbeddingConfig =
  | { kind: "local" }
  | { kind: "openai"; baseUrl: string; apiKey: string | undefined; model: string; dimension: number; requestDimensions: boolean };

// Dimensions of the usual OpenAI embedding models; any other model needs KEEL_EMBEDDING_DIMENSIONS.
const KNOWN_DIMENSIONS: Record<string, number> = { "text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536 };

function embeddingConfig(e: z.output<typeof EnvSchema>, openai: KeelConfig["openai"]): EmbeddingConfig {
  const kind = e.KEEL_EMBEDDER === "auto" ? (openai ? "openai" : "local") : e.KEEL_EMBEDDER;
  if (kind === "local") return { kind };
  if (!openai) throw new ConfigurationError("KEEL_EMBEDDER: 'openai' needs OPENAI_BASE_URL or OPENAI_API_KEY", "KEEL_EMBEDDER");
  const dimension = e.KEEL_EMBEDDING_DIMENSIONS ?? KNOWN_DIMENSIONS[e.KEEL_EMBEDDING_MODEL];
  if (!dimension) {
    throw new ConfigurationError(
      `KEEL_EMBEDDING_DIMENSIONS: must be set for the embedding model '${e.KEEL_EMBEDDING_MODEL}' (its vector length)`,
      "KEEL_EMBEDDING_DIMENSIONS",
    );
  }
  return { kind, ...openai, model: e.KEEL_EMBEDDING_MODEL, dimension, requestDimensions: e.KEEL_EMBEDDING_DIMENSIONS !== undefined };
}

/** Parses the environment; throws ConfigurationError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): KeelConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    throw new ConfigurationError(`${variable}: ${issue.message}`, variable);
  }
  const e = parsed.data;
  const dataDir = resolve(cwd, e.KEEL_DATA_DIR);
  const database = parseDatabaseUrl(e.DATABASE_URL ?? `file:${resolve(dataDir, "keel.db")}`, cwd);
  // An API key alone means OpenAI itself; a base URL means any compatible server (Ollama, vLLM…).
  const openai =
    e.OPENAI_BASE_URL || e.OPENAI_API_KEY ? { baseUrl: e.OPENAI_BASE_URL ?? "https://api.openai.com/v1", apiKey: e.OPENAI_API_KEY } : undefined;
  const publicUrl = (e.KEEL_PUBLIC_URL ?? `http://${e.HOST.includes(":") ? `[${e.HOST}]` : e.HOST}:${e.PORT}`).replace(/\/+$/, "");
  return {
    dataDir,
    database,
    chromaUrl: e.CHROMA_URL,
    chromaPort: e.KEEL_CHROMA_PORT,
    openai,
    embedding: embeddingConfig(e, openai),
    secret: e.KEEL_SECRET,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    publicUrlConfigured: e.KEEL_PUBLIC_URL !== undefined,
    logLevel: e.KEEL_LOG_LEVEL,
    password: e.KEEL_PASSWORD,
    sessionTtlMs: e.KEEL_SESSION_HOURS * 3_600_000,
    egressAllow: e.KEEL_EGRESS_ALLOW,
    trustedProxies: e.KEEL_TRUSTED_PROXIES,
    worker: {
      leaseMs: e.KEEL_LEASE_MS,
      idleMs: e.KEEL_WORKER_IDLE_MS,
      schedulerIntervalMs: e.KEEL_SCHEDULER_INTERVAL_MS,
      autonomyIntervalMs: e.KEEL_AUTONOMY_INTERVAL_MS,
      memoryUpkeepMs: e.KEEL_MEMORY_UPKEEP_MS,
      crashAt: e.KEEL_CRASH_AT,
    },
  };
}
