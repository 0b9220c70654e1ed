import { ConfigurationError } from "../errors";
import type { CredentialResolver } from "./types";

// What an executor may touch beyond its config and the run's data: narrow capabilities on its
// context, implemented in infra/ and handed over by the server. An executor never gets the
// database client; a node type that needs something new asks for a capability here.

// ---------------------------------------------------------------------------- http

export interface HttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
  /** Bytes of response body to read; past that the response is refused. */
  maxBytes: number;
  maxRedirects: number;
  /** Further headers that identify the caller (a credential's): dropped when a redirect leaves the origin. */
  identityHeaders?: readonly string[];
}

export type HttpResponse =
  /** `address`: the peer the connection actually went to. */
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array; url: URL; address: string }
  | { ok: false; reason: "too-large"; status: number; url: URL };

/** ctx.http: outbound requests, every destination (and every redirect hop) checked by the egress guard. */
export interface HttpCapability {
  send(request: HttpRequest): Promise<HttpResponse>;
}

// ---------------------------------------------------------------------------- llm

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type ResponseFormat = { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown> };

export interface ChatCall {
  model: string;
  messages: ChatMessage[];
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  responseFormat?: ResponseFormat | undefined;
  /** Asks servers that support it for reproducible sampling. */
  seed?: number | undefined;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ChatAnswer {
  content: string | null;
  toolCalls: { name: string; arguments: string }[];
  finishReason: string;
  /** The model the server says answered (may differ from the one asked, e.g. a dated alias). */
  model: string;
  usage: Usage;
}

/** The server refused `response_format: json_schema` (older vLLM, llama.cpp): ask again with json_object. */
export class JsonSchemaUnsupportedError extends Error {}

/** Settings → LLM as a step reads them when it starts. */
export interface LlmStepSettings {
  /** For steps that name no model. */
  defaultModel: string | undefined;
  /** Cost units of one call by the price table (0 for an unpriced model). */
  costUnits(model: string, usage: Pick<Usage, "promptTokens" | "completionTokens">): number;
}

/** ctx.llm: the OpenAI-compatible endpoint as it is configured now. */
export interface LlmCapability {
  /** Whether requests could go anywhere now ("LLM available?" branches). */
  available(): Promise<boolean>;
  /** Before a step's first call: fails as a configuration error when no endpoint can be configured here. */
  prepare(): Promise<LlmStepSettings>;
  /** Errors are Keel's typed errors, or JsonSchemaUnsupportedError. */
  chat(call: ChatCall, options: { signal: AbortSignal; idempotencyKey: string }): Promise<ChatAnswer>;
}

// ---------------------------------------------------------------------------- mail

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

export type EmailStatus = "sent" | "not_sent";

/** ctx.mail: email through an SMTP credential, or kept in the outbox marked not sent. */
export interface MailCapability {
  /**
   * Sends once per `key` (the Message-ID derives from it; a repeat returns what the first did).
   * Without a credential, or with `ifMissing: "outbox"` and no credential of that name yet, the
   * message stays in the outbox with the reason. `resolve` opens the credential (the engine's,
   * which redacts it from what the step stores).
   */
  send(
    message: OutgoingEmail & { key: string; runId: string; nodeId: string },
    via: { credential: string | undefined; ifMissing: "fail" | "outbox"; resolve: CredentialResolver | undefined },
  ): Promise<{ messageId: string; status: EmailStatus; reason?: string }>;
}

export type OperatorEmailStatus = EmailStatus | "no_recipient";

/**
 * Rows a step writes with its own outcome, in the transaction that records the step completed:
 * none of them exists unless that commit does, so a step repeated after a crash writes them
 * again exactly once, and a step that fails leaves none. Built by the engine for each attempt.
 */
export interface StepWrites {
  /** An in-app notification to the operator; its id is chosen now. */
  notification(row: { kind: string; title: string; body: string; link: string | null }): string;
}

/** ctx.notifications: the operator's in-app notifications, optionally emailed (Settings → Notifications). */
export interface NotificationCapability {
  /**
   * Once per `key`: a repeat finds the notification (and the email) the first left. Given the
   * step's `writes`, a notification that is not emailed rides on the step's commit; one that is
   * emailed is written (durably) first, since the email leaves the machine before that commit.
   */
  notify(
    notification: { key: string; runId: string; nodeId: string; title: string; body: string; link: string | null; email: boolean },
    resolve: CredentialResolver | undefined,
    writes?: StepWrites,
  ): Promise<{ notificationId: string; email?: OperatorEmailStatus }>;
}

// ---------------------------------------------------------------------------- memory

export interface RecalledItem {
  id: string;
  text: string;
  kind: string;
  subject: string | null;
  score: number;
  createdAt: string;
  provenance: { runId: string | null; nodeId: string | null; approvalId: string | null };
}

export interface SubjectSummary {
  text: string;
  method: string;
  itemCount: number;
  refreshedAt: string;
}

export interface RecallResult {
  items: RecalledItem[];
  summary: SubjectSummary | null;
}

/** ctx.memory: items with provenance in the database, recalled through the index. */
export interface MemoryCapability {
  /**
   * Stores an item once per `sourceKey` (a repeat finds the first) and indexes it now when it
   * can; `indexed: false` means stored, and recallable once the sweeper has indexed it.
   */
  remember(item: { sourceKey: string; subject: string; kind: string; text: string; runId: string; nodeId: string }, signal: AbortSignal): Promise<{ itemId: string; subject: string; indexed: boolean }>;
  /** The nearest items, re-read from the database; `subject` is `kind:key`. */
  recall(query: { query: string; subject?: string | undefined; kinds?: string[] | undefined; topK: number; minScore: number }, signal: AbortSignal): Promise<RecallResult & { subject?: string }>;
}

// ---------------------------------------------------------------------------- records

export interface ContactRecord {
  id: string;
  email: string | null;
  name: string;
  company: string | null;
  phone: string | null;
}

export type InvoiceStatus = "draft" | "sent" | "paid" | "overdue" | "void";

export interface InvoiceRecord {
  id: string;
  number: string;
  status: InvoiceStatus;
  currency: string;
  totalMinor: number;
  dueAt: string | null;
  lines: { description: string; quantity: number; unitMinor: number; amountMinor: number }[];
}

export interface DealRecord {
  id: string;
  contactId: string | null;
  title: string;
  stage: string;
  amountMinor: number;
  currency: string;
}

/** ctx.records: the built-in contacts, invoices and deals; writes keyed by `sourceKey` happen once. */
export interface RecordsCapability {
  upsertContact(contact: { email: string; name: string; company: string | null; phone: string | null; data?: unknown }): Promise<ContactRecord>;
  findContact(email: string): Promise<ContactRecord | null>;
  createInvoice(invoice: {
    sourceKey: string;
    contactEmail: string;
    currency: string;
    dueInDays: number;
    lines: { description: string; quantity: number; unitMinor: number }[];
  }): Promise<InvoiceRecord>;
  updateInvoiceStatus(number: string, status: InvoiceStatus): Promise<InvoiceRecord>;
  createDeal(deal: { sourceKey: string; contactEmail: string; title: string; stage: string; amountMinor: number; currency: string }): Promise<DealRecord>;
}

// ---------------------------------------------------------------------------- all

/** Everything the server can hand an executor; the engine puts them on each step's context. */
export interface StepCapabilities {
  http: HttpCapability;
  llm: LlmCapability;
  mail: MailCapability;
  notifications: NotificationCapability;
  memory: MemoryCapability;
  records: RecordsCapability;
}

/** The capability, or a configuration error naming what this process does not provide. */
export function capability<K extends keyof StepCapabilities>(ctx: Partial<StepCapabilities>, name: K): StepCapabilities[K] {
  const found = ctx[name];
  if (!found) throw new ConfigurationError(`${name}: this process provides no ${name} capability to node executors`);
  return found;
}
