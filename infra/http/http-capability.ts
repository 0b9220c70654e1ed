import type { HttpCapability } from "../../engine/registry";
import { EgressRefusedError, sendGuarded, type EgressPolicy } from "./egress-guard";

/**
 * ctx.http over the egress guard. `egress` is the policy in force (the allowlist, briefly
 * cached by the caller, and the resolver); `fresh` reads the allowlist again, past the cache.
 */
export function egressHttp(egress: (read?: { fresh?: boolean }) => Promise<EgressPolicy>): HttpCapability {
  return {
    async send(request) {
      try {
        return await sendGuarded(request, await egress());
      } catch (error) {
        // An allowlist entry the operator just added may be newer than the cached policy: a
        // refusal is checked once more against the stored allowlist before it stands.
        if (!(error instanceof EgressRefusedError)) throw error;
        return sendGuarded(request, await egress({ fresh: true }));
      }
    },
  };
}
