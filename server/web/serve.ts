import { createServer, type Server } from "node:http";
import next from "next";
import { errorResponse } from "../http/errors";
import { bodyLimitFor, capNodeBody, lingerBeforeClose } from "../http/body-limits";
import { PEER_HEADER } from "../http/request-guards";
import { READY_PATH } from "./ready";
import { webhookIngress } from "./webhook-ingress";

// Keel's web server: Next's request handler behind a plain Node HTTP server, so that Keel,
// not the client, says which address a request came from (the socket's, in PEER_HEADER), and
// so that `keel start` can tell its own server from another program on the same port. It also
// answers webhooks itself (webhook-ingress.ts) and caps every request body as it streams in.


export interface WebServerOptions {
  dir: string;
  host: string;
  port: number;
  /** A random value per `keel start`; the ready path answers it. */
  nonce: string;
  /** KEEL_PUBLIC_URL when the operator set it: requests for another Host are refused. */
  publicUrl?: string | undefined;
}

/** The Host a request names, normalised as a URL would (case, default port), or undefined. */
function hostOf(header: string | undefined, protocol: string): string | undefined {
  if (!header) return undefined;
  try {
    return new URL(`${protocol}//${header}`).host;
  } catch {
    return undefined;
  }
}

/** A too-large answer written straight to the socket, closing it: the rest of the body is never read. */
async function refuse(res: import("node:http").ServerResponse, error: unknown): Promise<void> {
  const response = errorResponse(error);
  const body = await response.text();
  if (res.headersSent) {
    res.destroy();
    return;
  }
  lingerBeforeClose(res.req.socket);
  res.writeHead(response.status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), connection: "close" }).end(body);
}

/** Prepares the built app and listens; rejects with the listen error (EADDRINUSE) as is. */
export async function serveWeb(options: WebServerOptions): Promise<Server> {
  const app = next({ dev: false, dir: options.dir, hostname: options.host, port: options.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const expected = options.publicUrl ? new URL(options.publicUrl) : undefined;
  const lean = webhookIngress();
  const server = createServer((req, res) => {
    // Whatever a client sent under this name is replaced: only the socket knows the peer.
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
    if (req.url === READY_PATH) {
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "no-store" }).end(options.nonce);
      return;
    }
    // A request for another name (DNS rebinding, a Host header crafted to poison links) is not
    // for this Keel: 421 Misdirected Request, before anything reads it.
    if (expected && hostOf(req.headers.host, expected.protocol) !== expected.host) {
      res.writeHead(421, { "content-type": "text/plain" }).end(`This server answers only for ${expected.host}.\n`);
      return;
    }
    if (lean(req, res)) return;
    // Next's proxy clones a body (up to 10 MB) before any route handler can refuse it: count
    // the bytes before Next sees them, and refuse past the largest body the path accepts.
    const { limit, field } = bodyLimitFor(new URL(req.url ?? "/", "http://keel").pathname);
    const declared = capNodeBody(req, limit, field, (error) => void refuse(res, error));
    if (declared) {
      void refuse(res, declared);
      return;
    }
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
