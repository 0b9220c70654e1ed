import { TooLargeError } from "../../engine/errors";
import { formatBytes } from "../../engine/limits";
import { readCapped } from "../../engine/stream";

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
 * The client's address as well as a route handler can know it: Next.js fills X-Forwarded-For
 * from the socket when the request has none, and a reverse proxy appends the address it saw,
 * so the last hop is the nearest one. A client talking to Keel directly can forge it, which is
 * why sign-in is also limited overall, not only per address.
 */
export function clientIp(req: Request): string {
  return req.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() || "unknown";
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
