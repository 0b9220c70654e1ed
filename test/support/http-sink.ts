import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SinkCall {
  method: string;
  path: string;
  key: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
  /** The client hung up before the answer was sent. */
  aborted: boolean;
  /** The status the sink answered with. */
  status: number;
}

export type SinkResponder = (call: SinkCall, attemptForKey: number) => { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

/** A real HTTP server (on 127.0.0.1 unless told otherwise) that records every call with its Idempotency-Key. */
export async function startSink(respond: SinkResponder = () => ({ status: 200, body: { ok: true } }), listen: { host?: string; port?: number } = {}) {
  const calls: SinkCall[] = [];
  const perKey = new Map<string, number>();
  let responder = respond;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const call: SinkCall = { method: req.method ?? "", path: req.url ?? "", key: req.headers["idempotency-key"] as string | undefined, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now(), aborted: false, status: 0 };
      res.once("close", () => {
        if (!res.writableEnded) call.aborted = true;
      });
      calls.push(call);
      const n = (perKey.get(call.key ?? "") ?? 0) + 1;
      perKey.set(call.key ?? "", n);
      const answer = responder(call, n);
      call.status = answer.status;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { "content-type": "application/json", ...(answer.headers ?? {}) });
        res.end(JSON.stringify(answer.body ?? {}));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  const host = listen.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(listen.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    calls,
    callsFor: (key: string) => calls.filter((c) => c.key === key),
    setResponder(next: SinkResponder) {
      responder = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
