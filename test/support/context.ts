import type { Services } from "../../server/services";
import type { Context, Principal } from "../../server/trpc/init";

/** A tRPC context as a signed-in operator's same-origin request would produce. */
export function operatorContext(services: Services, principal: Principal = { kind: "session", sessionId: "test" }): Context {
  return {
    services,
    principal,
    actor: principal.kind === "token" ? `api-token:${principal.tokenId}` : "operator",
    client: { ip: "127.0.0.1", userAgent: "vitest" },
    sessionToken: undefined,
    sameOrigin: true,
    resHeaders: new Headers(),
  };
}
