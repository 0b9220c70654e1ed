import { LIMITS } from "../../../../engine/limits";
import { answerWebhook } from "../../../../server/http/webhook-endpoint";
import { readBodyLimited } from "../../../../server/http/request-guards";
import { getServices } from "../../../../server/services";

export const dynamic = "force-dynamic";

// Inbound webhooks: authenticated by API token or HMAC signature (server/services/webhooks.ts),
// stored, then a run is started at the workflow's Webhook trigger and answered: 202 with the
// run id, or 200 with the run's output when the trigger waits for the result. `keel start`
// answers these in its front server (server/web/webhook-ingress.ts) without reaching Next;
// this handler serves them under `next dev`, through the same answerWebhook.
export async function POST(req: Request, { params }: { params: Promise<{ workflow: string }> }) {
  const { workflow } = await params;
  return answerWebhook(async () => (await getServices()).webhooks, {
    workflow,
    headers: req.headers,
    body: () => readBodyLimited(req, LIMITS.webhookBodyBytes, "body"),
  });
}
