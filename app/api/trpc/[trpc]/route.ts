import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { LIMITS } from "../../../../engine/limits";
import { errorLine } from "../../../../engine/log";
import { errorResponse } from "../../../../server/http/errors";
import { webLogger } from "../../../../server/log";
import { readBodyLimited } from "../../../../server/http/request-guards";
import { createContext } from "../../../../server/trpc/init";
import { appRouter } from "../../../../server/trpc/router";

export const dynamic = "force-dynamic";

async function handler(incoming: Request) {
  let req = incoming;
  if (incoming.method === "POST") {
    // Refuse oversized bodies before tRPC parses them.
    try {
      const body = await readBodyLimited(incoming, LIMITS.requestBodyBytes);
      req = new Request(incoming.url, { method: "POST", headers: incoming.headers, body: new Uint8Array(body) });
    } catch (error) {
      return errorResponse(error);
    }
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext,
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") webLogger().error({ path: path ?? "?", error: errorLine(error.cause ?? error) }, "tRPC procedure failed");
    },
  });
}

export { handler as GET, handler as POST };
