import { ConfigurationError, isKeelError, PermanentError, RetryableError } from "../../engine/errors";
import { formatBytes } from "../../engine/limits";
import { capability, type ExecutionContext, type HttpResponse, type StepResult } from "../../engine/registry";
import { renderIn } from "../expression-data";
import type { httpRequestNode } from "./http-request";
import { retryAfterMs } from "../../infra/http/retry-after";

type Config = ReturnType<(typeof httpRequestNode)["config"]["parse"]>;

/** Redirects followed (each checked by the egress guard) before the step gives up. */
export const MAX_REDIRECTS = 5;

/** Credential kinds http.request can send, and how. */
export const AUTH_KINDS = ["bearer", "basic", "header"] as const;

/** The headers a credential adds; the engine redacts the secret from whatever the step stores. */
async function authHeaders(ctx: ExecutionContext<Config>, credential: string): Promise<Record<string, string>> {
  if (!ctx.credential) throw new ConfigurationError(`auth.credential: no credentials are available here to resolve '${credential}'`);
  let opened;
  try {
    opened = await ctx.credential(credential, AUTH_KINDS);
  } catch (error) {
    // A rate limit or a store hiccup passes as it is; a missing or wrong credential names the field.
    if (error instanceof RetryableError || !isKeelError(error) || error.kind === "configuration") throw error;
    throw new PermanentError(`auth.${error.message}`);
  }
  const s = opened.secret as Record<string, string>;
  if (opened.kind === "bearer") return { authorization: `Bearer ${s.token}` };
  if (opened.kind === "basic") return { authorization: `Basic ${Buffer.from(`${s.user}:${s.password}`, "utf8").toString("base64")}` };
  return { [s.name!.toLowerCase()]: s.value! };
}

/** A header's value as one string (a repeated header: its first value). */
function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Sends through ctx.http, which checks every destination against the egress policy. */
export async function httpRequestExecutor(ctx: ExecutionContext<Config>): Promise<StepResult> {
  const url = String(await renderIn(ctx, ctx.config.url));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PermanentError(`url: '${url}' is not a valid URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new PermanentError(`url: only http and https are allowed, not ${parsed.protocol}`);
  if (parsed.username || parsed.password) throw new PermanentError("url: must not contain a user name or password; use auth with a credential instead");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries((await renderIn(ctx, ctx.config.headers)) as Record<string, unknown>)) headers[name.toLowerCase()] = String(value);
  const auth = ctx.config.auth ? await authHeaders(ctx, ctx.config.auth.credential) : {};
  Object.assign(headers, auth);
  headers["idempotency-key"] = ctx.idempotencyKey;
  let body: string | undefined;
  if (ctx.config.body !== undefined && ctx.config.method !== "GET") {
    const rendered = await renderIn(ctx, ctx.config.body);
    body = typeof rendered === "string" ? rendered : JSON.stringify(rendered);
    headers["content-type"] ??= typeof rendered === "string" ? "text/plain" : "application/json";
  }
  const what = `${ctx.config.method} ${parsed.host}`;
  const http = capability(ctx, "http");
  let response: HttpResponse;
  try {
    response = await http.send({ url: parsed, method: ctx.config.method, headers, body, signal: ctx.signal, maxBytes: ctx.config.maxResponseBytes, maxRedirects: MAX_REDIRECTS, identityHeaders: Object.keys(auth) });
  } catch (error) {
    if (ctx.signal.aborted || error instanceof PermanentError || error instanceof RetryableError) throw error;
    throw new RetryableError(`${what}: ${(error as Error).message}`, undefined, { cause: error });
  }
  if (!response.ok) {
    throw new PermanentError(`${what}: the response is larger than ${formatBytes(ctx.config.maxResponseBytes)} (maxResponseBytes)`);
  }
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(response.body);
  const contentType = header(response.headers, "content-type") ?? null;
  if (response.status === 429 || response.status >= 500) {
    throw new RetryableError(`${what} answered ${response.status}`, retryAfterMs(header(response.headers, "retry-after")));
  }
  if (response.status >= 400) throw new PermanentError(`${what} answered ${response.status}: ${text.slice(0, 300)}`);
  let data: unknown = text;
  if ((contentType ?? "").includes("json") && text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  const cost = ctx.config.costUnits ? { cost: { units: ctx.config.costUnits } } : {};
  return { port: "out", output: { status: response.status, body: data, contentType }, ...cost };
}
