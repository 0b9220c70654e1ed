import { request } from "node:http";

/**
 * POSTs `totalBytes` to a server in 16 KB chunks, paced, and stops sending
 * as soon as an answer arrives: how much was sent by then shows whether the server answered
 * before reading the body. `declare` sends Content-Length; without it the body is chunked.
 */
export function postLarge(url: string, options: { totalBytes: number; declare: boolean; headers?: Record<string, string> }): Promise<{ status: number; body: string; sentBeforeAnswer: number }> {
  const target = new URL(url);
  const chunk = Buffer.alloc(16 * 1024, "a");
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
    // At most one 16 KB chunk a millisecond (16 MB/s): a loopback socket's buffers take many
    // megabytes without refusing a write, so an unpaced sender would have sent most of the body
    // before any server could answer; paced, what was sent by the answer shows what the server
    // waited for.
    const pump = () => {
      if (answered !== undefined || req.destroyed) return;
      if (sent >= options.totalBytes) {
        req.end();
        return;
      }
      const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - sent));
      sent += piece.length;
      const next = () => setTimeout(pump, 1);
      if (req.write(piece)) next();
      else req.once("drain", next);
    };
    pump();
  });
}
