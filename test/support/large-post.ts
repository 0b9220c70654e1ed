import { request } from "node:http";

/**
 * POSTs `totalBytes` to a server in 64 KB chunks, one per turn of the event loop, and stops sending
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
        const done = () => {
          resolve({ status: res.statusCode ?? 0, body, sentBeforeAnswer: answered! });
          req.destroy();
        };
        res.on("end", done);
        res.on("error", done);
      },
    );
    // Once answered, the server may close while we still write: that is the refusal, not a failure.
    req.on("error", (error) => {
      if (answered === undefined) reject(error);
    });
    // One chunk per turn of the event loop, so an answer is noticed as soon as it arrives
    // (a loopback socket's buffers take many megabytes without ever refusing a write).
    const pump = () => {
      if (answered !== undefined || req.destroyed) return;
      if (sent >= options.totalBytes) {
        req.end();
        return;
      }
      const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - sent));
      sent += piece.length;
      if (req.write(piece)) setImmediate(pump);
      else req.once("drain", pump);
    };
    pump();
  });
}
