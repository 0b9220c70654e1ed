import type { IncomingMessage, ServerResponse } from "node:http";
import { LIMITS } from "../../engine/limits";
import { lingerBeforeClose, readNodeBody } from "../http/body-limits";
import { errorResponse } from "../http/errors";
import securityHeaders from "../http/security-headers.json";
import { webhookAnswer } from "./webhook-answer";

// Workflow webhooks answered by Keel's front server itself, without Next's per-request cost
// (its router, proxy and body cloning cost several times what storing the delivery does).
// The answer is the route handler's own (answerWebhook, in Next's copy of the services: see
// webhook-answer.ts); only the body is read here, from the socket, with the limit counted as
// bytes arrive.

const WEBHOOK_PATH = /^\/api\/webhooks\/([^/?#]+)\/?(?:\?.*)?$/;
/** A static answer of the same server, so a benchmark can tell the HTTP stack from a run's cost. */
export const PING_PATH = "/.keel/ping";

// JSON answers load nothing and frame nothing.
const HEADERS = { ...securityHeaders, "content-security-policy": "default-src 'none'; frame-ancestors 'none'", "cache-control": "no-store" };

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

async function send(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = { ...HEADERS, "content-length": String(body.byteLength) };
  response.headers.forEach((value, name) => (headers[name] = value));
  // A body refused part-way was not read to its end: close, rather than parse the rest as a
  // next request, and stop reading it.
  if (!req.complete) {
    headers.connection = "close";
    lingerBeforeClose(req.socket);
  }
  res.writeHead(response.status, headers).end(body);
}

/**
 * Answers the request when it is a webhook (or the ping) and returns true; false leaves it for
 * Next. The answer is Next's copy's (webhook-answer.ts); until Next has provided it, Next's own
 * route handler serves webhooks.
 */
export function webhookIngress() {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? "";
    if (url === PING_PATH) {
      const body = '{"ok":true}';
      res.writeHead(200, { ...HEADERS, "content-type": "application/json", "content-length": String(body.length) }).end(body);
      return true;
    }
    const match = WEBHOOK_PATH.exec(url);
    const answer = match && req.method === "POST" ? webhookAnswer() : undefined;
    if (!match || !answer) return false;
    let workflow: string;
    try {
      workflow = decodeURIComponent(match[1]!);
    } catch {
      return false;
    }
    // The body is read and limited here, and a refusal answered here: an error of this copy of
    // Keel's modules would not be recognised by Next's copy, which answers the rest.
    void readNodeBody(req, LIMITS.webhookBodyBytes, "body")
      .then(
        (body) => answer({ workflow, headers: headersOf(req), body: async () => body }),
        (error: unknown) => errorResponse(error),
      )
      .then((response) => send(req, res, response))
      .catch(() => res.destroy());
    return true;
  };
}
