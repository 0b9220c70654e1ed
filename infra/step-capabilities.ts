import type { StepCapabilities } from "../engine/registry";
import type { Db } from "../engine/store";
import { systemResolver, type EgressPolicy } from "./http/egress-guard";
import { egressHttp } from "./http/http-capability";
import type { LlmClient } from "./llm/client";
import { llmCapability } from "./llm/llm-capability";
import { mailCapability } from "./mail/mail-capability";
import { notificationCapability } from "./mail/notification-capability";
import { memoryCapability, type MemoryDeps } from "./memory/memory-capability";
import { recordsCapability } from "./records/records";

/** Without an egress policy, nothing internal is allowed: the guard's strict default. */
const STRICT_EGRESS: EgressPolicy = { allowlist: [], resolve: systemResolver };

/**
 * The capabilities node executors get on their context, over this process's infrastructure:
 * the database (records, memory items, email and notification rows, settings), the egress
 * policy (http's allowlist), the LLM endpoint's client (absent when none is configured: LLM
 * steps then fail as a configuration error), the memory index and the public URL (links in
 * notification emails). The database client itself never reaches an executor.
 */
export function stepCapabilities(deps: {
  db: Db;
  egress?: (read?: { fresh?: boolean }) => Promise<EgressPolicy>;
  llm?: LlmClient | undefined;
  memory?: MemoryDeps | undefined;
  publicUrl?: string | undefined;
}): StepCapabilities {
  return {
    http: egressHttp(deps.egress ?? (async () => STRICT_EGRESS)),
    llm: llmCapability(deps.db, deps.llm),
    mail: mailCapability(deps.db),
    notifications: notificationCapability(deps.db, deps.publicUrl),
    memory: memoryCapability(deps.db, deps.memory),
    records: recordsCapability(deps.db),
  };
}
