import { TooLargeError } from "../../engine/errors";
import { formatBytes } from "../../engine/limits";
import { readCapped } from "../../engine/stream";
import { formatIp, inCidr, parseCidr, parseIp, unmapped, type Cidr } from "../../infra/http/ip";

/** Header the app's own client sends with every mutation; a cross-site form or fetch cannot. */
export const CSRF_HEADER = "x-keel-csrf";

/**
 * True when a state-changing request comes from Keel's own pages. Browsers always send
 * Sec-Fetch-Site or Origin on cross-site requests; the custom header forces a CORS preflight,
 * which Keel never grants.
 */
export function isSameOriginRequest(req: Request, publicUrl: string): boolean {
  if (req.headers.get(CSRF_HEADER) !== "1") return false;
  const site = req.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.get("origin");
  if (!origin) return true;
  return origin === new URL(publicUrl).origin || origin === new URL(req.url).origin;
}

/**
 * The header Keel's web server (server/web/serve.ts) sets to the socket's address on every
 * request, replacing any a client sent: the one address a client cannot choose.
 */
export const PEER_HEADER = "x-keel-peer";

/**
 * The client's address: the socket's peer, unless that peer is a configured trusted proxy
 * (KEEL_TRUSTED_PROXIES); then the nearest X-Forwarded-For hop that is not a trusted proxy
 * (each proxy appends the address it saw, so hops further left may be forged).
 */
export function clientIp(req: Request, trustedProxies: readonly string[] = []): string {
  const normal = (address: string) => {
    const ip = parseIp(address.trim());
    return ip ? formatIp(unmapped(ip)) : address.trim();
  };
  const peer = normal(req.headers.get(PEER_HEADER) ?? "") || "unknown";
  const trusted = trustedProxies.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const isTrusted = (address: string) => {
    const ip = parseIp(address);
    return ip !== undefined && trusted.some((cidr) => inCidr(unmapped(ip), cidr));
  };
  if (!isTrusted(peer)) return peer;
  const hops = (req.headers.get("x-forwarded-for") ?? "").split(",").map(normal).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(hops[i]!)) return hops[i]!;
  return hops[0] ?? peer;
}

/** Reads a body up to `limit` bytes, refusing larger ones before reading them whole. */
export async function readBodyLimited(req: Request, limit: number, field = "request body"): Promise<Buffer> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) {
    throw new TooLargeError(`${field}: is ${formatBytes(declared)}; the limit is ${formatBytes(limit)}`, field, limit);
  }
  const read = await readCapped(req.body, limit);
  if (!read.ok) throw new TooLargeError(`${field}: is over ${formatBytes(limit)}, the limit`, field, limit);
  return read.bytes;
}
