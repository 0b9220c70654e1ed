import { PermanentError, RetryableError } from "../../engine/errors";
import { formatBytes, LIMITS } from "../../engine/limits";
import type { ExecutionContext, StepResult } from "../../engine/registry";
import { readCapped } from "../../engine/stream";
import { renderIn } from "../expression-data";
import type { httpRequestNode } from "./http-request";

type Config = ReturnType<(typeof httpRequestNode)["config"]["parse"]>;

/** Retry-After as milliseconds: either seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export async function executeHttpRequest(ctx: ExecutionContext<Config>): Promise<StepResult> {
  const url = String(await renderIn(ctx, ctx.config.url));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PermanentError(`url: '${url}' is not a valid URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new PermanentError(`url: only http and https are allowed, not ${parsed.protocol}`);
  const headers = new Headers((await renderIn(ctx, ctx.config.headers)) as Record<string, string>);
  headers.set("idempotency-key", ctx.idempotencyKey);
  let body: string | undefined;
  if (ctx.config.body !== undefined && ctx.config.method !== "GET") {
    const rendered = await renderIn(ctx, ctx.config.body);
    body = typeof rendered === "string" ? rendered : JSON.stringify(rendered);
    if (!headers.has("content-type")) headers.set("content-type", typeof rendered === "string" ? "text/plain" : "application/json");
  }
  let response: Response;
  try {
    response = await fetch(parsed, { method: ctx.config.method, headers, body, signal: ctx.signal, redirect: "manual" });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new RetryableError(`${ctx.config.method} ${parsed.host}: ${(error as Error).message}`, undefined, { cause: error });
  }
  const read = await readCapped(response.body, LIMITS.stepPayloadBytes);
  if (!read.ok) throw new PermanentError(`the response is larger than ${formatBytes(LIMITS.stepPayloadBytes)}, the limit for a step's output`);
  const text = read.bytes.toString("utf8");
  if (response.status === 429 || response.status >= 500) {
    throw new RetryableError(`${ctx.config.method} ${parsed.host} answered ${response.status}`, retryAfterMs(response.headers.get("retry-after")));
  }
  if (response.status >= 400) throw new PermanentError(`${ctx.config.method} ${parsed.host} answered ${response.status}: ${text.slice(0, 300)}`);
  let data: unknown = text;
  if ((response.headers.get("content-type") ?? "").includes("json") && text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  return { port: "out", output: { status: response.status, body: data, contentType: response.headers.get("content-type") } };
}
