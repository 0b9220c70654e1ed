import { UnauthenticatedError } from "../../engine/errors";
import { errorResponse } from "../../server/http/errors";
import { getServices } from "../../server/services";

// Prometheus scrapes this with an API token (`Authorization: Bearer keel_…`); the figures are
// the dashboard's, read fresh on every scrape.
export const dynamic = "force-dynamic";

async function handler(request: Request): Promise<Response> {
  try {
    const services = await getServices();
    const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!(await services.auth.apiToken(bearer))) {
      throw new UnauthenticatedError("/metrics needs an API token: send it as 'Authorization: Bearer <token>' (create one in Settings or with `keel token create`)");
    }
    if (request.method !== "GET") return Response.json({ error: { kind: "validation", message: "/metrics answers GET only" } }, { status: 405, headers: { allow: "GET" } });
    const { contentType, body } = await services.metrics.prometheus();
    return new Response(body, { status: 200, headers: { "content-type": contentType, "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(error);
  }
}

export { handler as GET, handler as POST };
