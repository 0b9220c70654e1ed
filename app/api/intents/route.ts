import { LIMITS } from "../../../engine/limits";
import { errorResponse } from "../../../server/http/errors";
import { readBodyLimited } from "../../../server/http/request-guards";
import { getServices } from "../../../server/services";

export const dynamic = "force-dynamic";

// Intents from outside (a website's contact form, another system): API token or HMAC
// signature (server/intents/intake.ts); routed at once, answered with where it went.
export async function POST(req: Request) {
  try {
    const services = await getServices();
    const body = await readBodyLimited(req, LIMITS.webhookBodyBytes, "body");
    const intent = await services.intentIntake.receiveJson(req.headers, body);
    return Response.json({ id: intent.id, status: intent.status, workflow: intent.workflow, runId: intent.runId, reason: intent.reason, duplicate: intent.duplicate }, { status: intent.duplicate ? 200 : 201 });
  } catch (error) {
    return errorResponse(error);
  }
}
