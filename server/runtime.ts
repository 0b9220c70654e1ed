import type { RuntimeDeps } from "../engine/runtime/process-run";
import { PrismaRunStore } from "../engine/runtime/prisma-store";
import type { Database } from "../engine/store";
import { EXECUTORS } from "../nodes/executors";
import type { MemoryDeps } from "../infra/memory/memory-capability";
import { stepCapabilities } from "../infra/step-capabilities";
import { registry } from "../nodes/catalog";
import { createLlmClient, noEndpointError, type LlmClient, type LlmEndpoint } from "../infra/llm/client";
import type { KeelConfig } from "./config";
import { createCipher } from "./secrets/cipher";
import { ensureSecret } from "./secret-key";
import { budgetGate } from "./services/budgets";
import { credentialService } from "./services/credentials";
import { egressPolicySource } from "./services/egress";
import { llmEndpointResolver, type LlmEndpointResolver } from "./llm/endpoint";

/** How long one LLM request may take before it counts as a (retryable) timeout. */
export const LLM_TIMEOUT_MS = 110_000;

/**
 * The engine's dependencies as this server provides them: the registry and executors are
 * parameters. With the master secret, steps can use credentials (opened only when a step runs);

 * with an OpenAI-compatible endpoint (fixed, or resolved per request from Settings), LLM steps can run; with a memory index,
 * memory steps index and recall.
 */
export function runtimeDeps(
  database: Database,
  options: { publicUrl?: string; now?: () => Date; secret?: string; egressAllow?: readonly string[]; openai?: LlmEndpoint | undefined; llmEndpoint?: LlmEndpointResolver; llmTimeoutMs?: number; memory?: MemoryDeps } = {},
): RuntimeDeps {
  const credentials = options.secret ? credentialService(database.db, createCipher(options.secret)) : undefined;
  const timeoutMs = options.llmTimeoutMs ?? LLM_TIMEOUT_MS;
  // A resolver (Settings or environment, asked per request) wins over a fixed endpoint.
  const llm = options.llmEndpoint ? resolvingLlmClient(options.llmEndpoint, { timeoutMs }) : options.openai ? createLlmClient(options.openai, { timeoutMs }) : undefined;
  return {
    store: new PrismaRunStore(database),
    registry,
    executors: EXECUTORS,
    capabilities: stepCapabilities({ db: database.db, egress: egressPolicySource(database.db, options.egressAllow), publicUrl: options.publicUrl, llm, memory: options.memory }),
    ...(credentials ? { credentials: (name: string, kinds: readonly string[]) => credentials.open(name, kinds) } : {}),
    clock: { now: options.now ?? (() => new Date()) },
    budget: budgetGate(database),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  };
}

/** The engine's dependencies for this configuration: what `keel worker`, `keel run` and the web server's inline runs share. */
export function runtimeDepsFor(config: KeelConfig, database: Database, options: { now?: () => Date; memory?: MemoryDeps } = {}): RuntimeDeps {
  const secret = ensureSecret(config.dataDir, config.secret).secret;
  return runtimeDeps(database, { publicUrl: config.publicUrl, llmEndpoint: llmEndpointFor(config, database.db), egressAllow: config.egressAllow, secret, ...options });
}

/** The endpoint resolver for this configuration: the environment's endpoint, else the one saved in Settings. */
export function llmEndpointFor(config: Pick<KeelConfig, "openai" | "dataDir" | "secret">, db: Database["db"]): LlmEndpointResolver {
  return llmEndpointResolver(db, createCipher(ensureSecret(config.dataDir, config.secret).secret), config.openai);
}

/**
 * An LLM client that resolves the endpoint for each request (one SDK client per endpoint, made
 * again when it changes). Without an endpoint a request fails as the no-endpoint configuration
 * error; `available()` is what "LLM available?" branches ask.
 */
export function resolvingLlmClient(resolver: Pick<LlmEndpointResolver, "current">, options: { timeoutMs?: number } = {}): LlmClient {
  let last: { key: string; client: LlmClient } | undefined;
  const clientFor = async () => {
    const endpoint = await resolver.current();
    if (!endpoint) return undefined;
    const key = `${endpoint.baseUrl}\u0000${endpoint.apiKey ?? ""}`;
    if (last?.key !== key) last = { key, client: createLlmClient(endpoint, options) };
    return last.client;
  };
  return {
    get baseUrl() {
      return last?.client.baseUrl ?? "";
    },
    async available() {
      return Boolean(await resolver.current());
    },
    async chat(call, requestOptions) {
      const client = await clientFor();
      if (!client) throw noEndpointError();
      return client.chat(call, requestOptions);
    },
  };
}
