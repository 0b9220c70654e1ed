import { errorResponse } from "./errors";
import type { WebhookService } from "../services/webhooks";

// The one HTTP answer to a workflow webhook, whichever server received it: Keel's front server
// (server/web/webhook-ingress.ts, what `keel start` serves) or Next's route handler
// (app/api/webhooks, what `next dev` serves). They differ only in how they read the body.

export async function answerWebhook(
  webhooks: () => Promise<WebhookService>,
  request: { workflow: string; headers: Headers; body: () => Promise<Uint8Array> },
): Promise<Response> {
  try {
    const body = await request.body();
    const answer = await (await webhooks()).deliver({ workflow: request.workflow, headers: request.headers, body });
    return Response.json(answer.body, { status: answer.status });
  } catch (error) {
    return errorResponse(error);
  }
}
