import { LIMITS } from "../../../../engine/limits";
import { errorResponse } from "../../../../server/http/errors";
import { readBodyLimited } from "../../../../server/http/request-guards";
import { getServices } from "../../../../server/services";

export const dynamic = "force-dynamic";

// Inbound webhooks: authenticated by API token or HMAC signature (server/services/webhooks.ts),
// stored, then a run is started at the workflow's Webhook trigger and answered: 202 with the
// run id, or 200 with the run's output when the trigger waits for the result.
export async function POST(req: Request, { params }: { params: Promise<{ workflow: string }> }) {
  try {
    const { workflow } = await params;
    const services = await getServices();
    const body = await readBodyLimited(req, LIMITS.webhookBodyBytes, "body");
    const answer = await services.webhooks.deliver({ workflow, headers: req.headers, body });
    return Response.json(answer.body, { status: answer.status });
  } catch (error) {
    return errorResponse(error);
  }
}
