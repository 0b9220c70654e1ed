import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { PermanentError, RetryableError } from "../../engine/errors";
import type { HttpRequest, HttpResponse } from "../../engine/registry";
import { allowsAddress, allowsHost, type AllowEntry } from "./allowlist";
import { blockedRange, formatIp, parseIp, unmapped } from "./ip";

// The egress guard: an outbound request reaches a private, loopback, link-local or otherwise
// internal address only when the operator allowed it. Every address a name resolves to is
// checked, and the connection is pinned to the checked address (the socket's lookup answers
// with it), so a name that resolves differently a moment later (DNS rebinding) cannot slip
// through. Redirects are followed here, each hop checked again.

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name resolution, injectable so tests can play a rebinding DNS server. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface EgressPolicy {
  allowlist: readonly AllowEntry[];
  resolve: Resolver;
}

const HINT = "add it to the egress allowlist in Settings if this is intended";

export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/** The URL's host without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

/** A destination the egress policy refuses (private, loopback, link-local and not allowlisted). */
export class EgressRefusedError extends PermanentError {}

/**
 * Checks where a request to `url` would connect and returns the one address to connect to.
 * `field` names the URL in errors (`url`, or `url (redirect 2 to …)`).
 */
export async function checkDestination(url: URL, policy: EgressPolicy, field = "url"): Promise<ResolvedAddress> {
  const host = bareHost(url);
  const port = portOf(url);
  const literal = parseIp(host);
  if (literal) {
    const blocked = blockedRange(literal);
    if (blocked && !allowsAddress(policy.allowlist, unmapped(literal), port)) {
      throw new EgressRefusedError(`${field}: ${host} ${blocked.reason} (${blocked.range}); ${HINT}`);
    }
    return { address: formatIp(literal), family: literal.family };
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await policy.resolve(host);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = `${field}: ${host} could not be resolved (${code ?? (error as Error).message})`;
    // A name that does not exist stays so; a resolver that timed out or failed may recover.
    throw code === "ENOTFOUND" || code === "ENODATA" ? new PermanentError(message, { cause: error }) : new RetryableError(message, undefined, { cause: error });
  }
  if (addresses.length === 0) throw new PermanentError(`${field}: ${host} resolved to no address`);
  if (allowsHost(policy.allowlist, host, port)) return addresses[0]!;
  for (const resolved of addresses) {
    const ip = parseIp(resolved.address);
    if (!ip) throw new PermanentError(`${field}: ${host} resolved to '${resolved.address}', which is not an IP address`);
    const blocked = blockedRange(ip);
    if (blocked && !allowsAddress(policy.allowlist, unmapped(ip), port)) {
      throw new EgressRefusedError(`${field}: ${resolved.address} (resolved from ${host}) ${blocked.reason} (${blocked.range}); ${HINT}`);
    }
  }
  return addresses[0]!;
}

/** A lookup that answers every question with the address already checked. */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  }) as LookupFunction;
}

/** A request as the guard sends it (the shape ctx.http takes). */
export type GuardedRequest = HttpRequest;

export type GuardedResponse = HttpResponse;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry the caller's identity: never sent to another origin after a redirect. */
const IDENTITY_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** Sends the request through the guard, following redirects (each hop checked again). */
export async function sendGuarded(request: GuardedRequest, policy: EgressPolicy): Promise<GuardedResponse> {
  let { url, method, body } = request;
  const headers = { ...request.headers };
  for (let hop = 0; ; hop++) {
    const field = hop === 0 ? "url" : `url (redirect ${hop} to ${url.origin})`;
    const pinned = await checkDestination(url, policy, field);
    const { response, remoteAddress } = await sendOnce(url, method, headers, body, pinned, request.signal);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || !location) return readCapped(response, url, remoteAddress ?? pinned.address, request.maxBytes);
    response.resume();
    if (hop >= request.maxRedirects) throw new PermanentError(`url: more than ${request.maxRedirects} redirects (the last to ${location})`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new PermanentError(`url: a redirect from ${url.host} went to '${location}', which is not a valid URL`);
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") throw new PermanentError(`url: a redirect from ${url.host} went to ${next.protocol}, only http and https are allowed`);
    // 303 always, and 301/302 after a POST (what browsers do), continue as a GET without body.
    if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
      for (const name of Object.keys(headers)) if (/^content-/i.test(name)) delete headers[name];
    }
    if (next.origin !== url.origin) {
      const identity = [...IDENTITY_HEADERS, ...(request.identityHeaders ?? []).map((h) => h.toLowerCase())];
      for (const name of Object.keys(headers)) if (identity.includes(name.toLowerCase())) delete headers[name];
    }
    url = next;
  }
}

function sendOnce(url: URL, method: string, headers: Record<string, string>, body: string | undefined, pinned: ResolvedAddress, signal: AbortSignal): Promise<{ response: IncomingMessage; remoteAddress: string | undefined }> {
  const secure = url.protocol === "https:";
  const host = bareHost(url);
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({
      protocol: url.protocol,
      hostname: host,
      port: portOf(url),
      path: `${url.pathname}${url.search}`,
      method,
      headers: { ...headers, host: url.host, ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }) },
      lookup: pinnedLookup(pinned),
      // A fresh connection per request: a pooled socket could belong to an earlier resolution.
      agent: false,
      signal,
      ...(secure && !parseIp(host) ? { servername: host } : {}),
    });
    req.once("response", (response: IncomingMessage) => resolve({ response, remoteAddress: response.socket?.remoteAddress }));
    req.once("error", reject);
    req.end(body);
  });
}

async function readCapped(response: IncomingMessage, url: URL, address: string, maxBytes: number): Promise<GuardedResponse> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      response.destroy();
      return { ok: false, reason: "too-large", status: response.statusCode ?? 0, url };
    }
    chunks.push(chunk);
  }
  return { ok: true, status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), url, address };
}
