import { createServer, type Server } from "node:http";
import next from "next";
import { PEER_HEADER } from "../http/request-guards";
import { READY_PATH } from "./ready";

// Keel's web server: Next's request handler behind a plain Node HTTP server, so that Keel,
// not the client, says which address a request came from (the socket's, in PEER_HEADER), and
// so that `keel start` can tell its own server from another program on the same port.


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

/** Prepares the built app and listens; rejects with the listen error (EADDRINUSE) as is. */
export async function serveWeb(options: WebServerOptions): Promise<Server> {
  const app = next({ dev: false, dir: options.dir, hostname: options.host, port: options.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const expected = options.publicUrl ? new URL(options.publicUrl) : undefined;
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
