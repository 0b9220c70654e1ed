import { createServer, type Server } from "node:http";
import next from "next";
import { PEER_HEADER } from "../http/request-guards";

// Keel's web server: Next's request handler behind a plain Node HTTP server, so that Keel,
// not the client, says which address a request came from (the socket's, in PEER_HEADER), and
// so that `keel start` can tell its own server from another program on the same port.

/** The path that answers with this start's nonce: readiness proves it is this Keel answering. */
export const READY_PATH = "/.keel/ready";

export interface WebServerOptions {
  dir: string;
  host: string;
  port: number;
  /** A random value per `keel start`; the ready path answers it. */
  nonce: string;
}

/** Prepares the built app and listens; rejects with the listen error (EADDRINUSE) as is. */
export async function serveWeb(options: WebServerOptions): Promise<Server> {
  const app = next({ dev: false, dir: options.dir, hostname: options.host, port: options.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = createServer((req, res) => {
    // Whatever a client sent under this name is replaced: only the socket knows the peer.
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
    if (req.url === READY_PATH) {
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "no-store" }).end(options.nonce);
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
