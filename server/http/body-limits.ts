import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { TooLargeError } from "../../engine/errors";
import { formatBytes, LIMITS } from "../../engine/limits";

// Request body limits as the front server (server/web/serve.ts) enforces them: on the bytes as
// they arrive, before anything buffers the body. Next's proxy would otherwise hold up to 10 MB
// of a body in memory before a route handler's own limit could refuse it.

/** The largest body any handler behind this path accepts, and the name its refusal gives it. */
export function bodyLimitFor(pathname: string): { limit: number; field: string } {
  if (pathname.startsWith("/api/webhooks/") || pathname.startsWith("/api/intents")) return { limit: LIMITS.webhookBodyBytes, field: "body" };
  return { limit: LIMITS.requestBodyBytes, field: "request body" };
}

function declaredTooLarge(req: IncomingMessage, limit: number, field: string): TooLargeError | undefined {
  const declared = Number(req.headers["content-length"] ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) return new TooLargeError(`${field}: is ${formatBytes(declared)}; the limit is ${formatBytes(limit)}`, field, limit);
  return undefined;
}

function overLimit(limit: number, field: string): TooLargeError {
  return new TooLargeError(`${field}: is over ${formatBytes(limit)}, the limit`, field, limit);
}

/**
 * Reads a Node request's body up to `limit` bytes. A declared Content-Length over the limit is
 * refused before reading anything; an undeclared (chunked) body once its bytes pass the limit,
 * and nothing past that is read.
 */
export function readNodeBody(req: IncomingMessage, limit: number, field: string): Promise<Buffer> {
  const declared = declaredTooLarge(req, limit, field);
  if (declared) return Promise.reject(declared);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        reject(overLimit(limit, field));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks, size)));
    req.once("error", reject);
    req.once("aborted", () => reject(new Error("request aborted")));
  });
}

/**
 * Caps a body another handler (Next) will read: a declared length over the limit is refused at
 * once (the returned error); otherwise every chunk the HTTP parser pushes is counted, and past
 * the limit `onOver` answers and the request is destroyed before the chunk reaches any reader.
 * Counting at `push` leaves the stream paused for its reader, which a 'data' listener would not.
 */
export function capNodeBody(req: IncomingMessage, limit: number, field: string, onOver: (error: TooLargeError) => void): TooLargeError | undefined {
  const declared = declaredTooLarge(req, limit, field);
  if (declared) return declared;
  const push = req.push.bind(req);
  let size = 0;
  let over = false;
  req.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (over) return false;
    if (chunk !== null && chunk !== undefined) {
      size += typeof chunk === "string" ? Buffer.byteLength(chunk, encoding) : (chunk as Uint8Array).byteLength;
      if (size > limit) {
        over = true;
        onOver(overLimit(limit, field));
        return false;
      }
    }
    return push(chunk, encoding);
  };
  return undefined;
}

/** How long a connection whose request body was refused part-way stays open after the answer. */
const LINGER_MS = 2_000;

/**
 * Prepares a connection whose request body will not be read to its end: once the answer is
 * written (Connection: close), Node would close the socket at once, and a client still sending
 * would then meet a TCP reset that can discard the answer before it reads it (RFC 9112 §9.6).
 * So the sending side is closed first and the socket a moment later; nothing more is read.
 */
export function lingerBeforeClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}
