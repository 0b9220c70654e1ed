import type { IncomingMessage, ServerResponse } from "node:http";
import { LIMITS } from "../../engine/limits";
import { lingerBeforeClose, readNodeBody } from "../http/body-limits";
import securityHeaders from "../http/security-headers.json";
import { answerWebhook } from "../http/webhook-endpoint";
import type { WebhookService } from "../services/webhooks";

// Workflow webhooks answered by Keel's front server itself, without Next's per-request cost
// (its router, proxy and body cloning cost several times what storing the delivery does).
// The answer is the route handler's own (answerWebhook); only the body is read here, from the
// socket, with the limit counted as bytes arrive.

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
 * Next. `webhooks` is called on the first webhook, so a Keel that never receives one never
 * loads the services.
 */
export function webhookIngress(webhooks: () => Promise<WebhookService>) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? "";
    if (url === PING_PATH) {
      const body = '{"ok":true}';
      res.writeHead(200, { ...HEADERS, "content-type": "application/json", "content-length": String(body.length) }).end(body);
      return true;
    }
    const match = WEBHOOK_PATH.exec(url);
    if (!match || req.method !== "POST") return false;
    let workflow: string;
    try {
      workflow = decodeURIComponent(match[1]!);
    } catch {
      return false;
    }
    void answerWebhook(webhooks, { workflow, headers: headersOf(req), body: () => readNodeBody(req, LIMITS.webhookBodyBytes, "body") })
      .then((response) => send(req, res, response))
      .catch(() => res.destroy());
    return true;
  };
}
