import { request } from "node:http";

/**
 * POSTs `totalBytes` to a server in 64 KB chunks, waiting for each to drain, and stops sending
 * as soon as an answer arrives: how much was sent by then shows whether the server answered
 * before reading the body. `declare` sends Content-Length; without it the body is chunked.
 */
export function postLarge(url: string, options: { totalBytes: number; declare: boolean; headers?: Record<string, string> }): Promise<{ status: number; body: string; sentBeforeAnswer: number }> {
  const target = new URL(url);
  const chunk = Buffer.alloc(64 * 1024, "a");
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered: number | undefined;
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { ...options.headers, ...(options.declare ? { "content-length": String(options.totalBytes) } : {}) },
      },
      (res) => {
        answered ??= sent;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (data: string) => (body += data));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, sentBeforeAnswer: answered! }));
        res.on("error", () => resolve({ status: res.statusCode ?? 0, body, sentBeforeAnswer: answered! }));
      },
    );
    // Once answered, the server may close while we still write: that is the refusal, not a failure.
    req.on("error", (error) => {
      if (answered === undefined) reject(error);
    });
    const pump = () => {
      while (answered === undefined && sent < options.totalBytes && !req.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once("drain", pump);
          return;
        }
      }
      if (answered === undefined && sent >= options.totalBytes) req.end();
    };
    pump();
  });
}
