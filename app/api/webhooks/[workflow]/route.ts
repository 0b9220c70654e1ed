import { LIMITS } from "../../../../engine/limits";
import { errorResponse } from "../../../../server/http/errors";
import { readBodyLimited } from "../../../../server/http/request-guards";
import { getServices } from "../../../../server/services";

export const dynamic = "force-dynamic";

// Inbound webhooks: authenticated by API token or HMAC signature (server/services/webhooks.ts),
// stored, then answered 202 with the delivery id.
export async function POST(req: Request, { params }: { params: Promise<{ workflow: string }> }) {
  try {
    const { workflow } = await params;
    const services = await getServices();
    const body = await readBodyLimited(req, LIMITS.webhookBodyBytes, "body");
    const accepted = await services.webhooks.receive({ workflow, headers: req.headers, body });
    return Response.json({ status: "accepted", ...accepted }, { status: 202 });
  } catch (error) {
    return errorResponse(error);
  }
}
