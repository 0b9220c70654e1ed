import { LIMITS } from "../../../../engine/limits";
import { errorResponse } from "../../../../server/http/errors";
import { readBodyLimited } from "../../../../server/http/request-guards";
import { getServices } from "../../../../server/services";

export const dynamic = "force-dynamic";

// Inbound email as intents: a mail provider posts the raw RFC 5322 message (API token or
// HMAC signature); the sender becomes the contact and the Message-ID makes repeats harmless.
export async function POST(req: Request) {
  try {
    const services = await getServices();
    const body = await readBodyLimited(req, LIMITS.webhookBodyBytes, "body");
    const intent = await services.intentIntake.receiveEmail(req.headers, body);
    return Response.json({ id: intent.id, status: intent.status, workflow: intent.workflow, runId: intent.runId, reason: intent.reason, duplicate: intent.duplicate }, { status: intent.duplicate ? 200 : 201 });
  } catch (error) {
    return errorResponse(error);
  }
}
