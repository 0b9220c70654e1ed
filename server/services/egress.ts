import { ValidationError } from "../../engine/errors";
import { json, type Db } from "../../engine/store";
import { EgressAllowlistSchema, parseAllowlist, type EgressAllowlist } from "../../infra/http/allowlist";
import { sendGuarded, systemResolver, type EgressPolicy, type GuardedRequest, type GuardedResponse } from "../../infra/http/egress-guard";
import { audit } from "./audit";
import { zodIssues } from "./zod-issues";

// The egress allowlist (Settings): destinations http.request may reach although they are
// private or loopback. Stored in the Setting table; workers read it through a short cache, so
// an edit takes effect within a few seconds on every worker without a restart.

export const EGRESS_SETTING_KEY = "egress.allowlist";
export const EGRESS_CACHE_MS = 5_000;

function parseSetting(value: unknown): EgressAllowlist {
  const parsed = EgressAllowlistSchema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, "allowlist");
    throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

export async function readEgressAllowlist(db: Db): Promise<EgressAllowlist> {
  const row = await db.setting.findUnique({ where: { key: EGRESS_SETTING_KEY } });
  return row ? parseSetting(row.value) : { entries: [] };
}

export async function saveEgressAllowlist(db: Db, input: unknown, actor = "operator"): Promise<EgressAllowlist> {
  const raw = parseSetting(input);
  const setting = { entries: [...new Set(raw.entries.map((e) => e.trim()).filter(Boolean))] };
  await db.setting.upsert({ where: { key: EGRESS_SETTING_KEY }, create: { key: EGRESS_SETTING_KEY, value: json(setting) }, update: { value: json(setting) } });
  await audit(db, { actor, action: "settings.update", targetType: "setting", targetId: EGRESS_SETTING_KEY, detail: setting });
  return setting;
}

/**
 * The policy workers apply: the stored allowlist plus `extra` (KEEL_EGRESS_ALLOW), re-read at
 * most every `cacheMs` (or at once when asked for a fresh read). A stored value that no longer parses counts as empty (strict), never as open.
 */
export function egressPolicySource(db: Db, extra: readonly string[] = [], options: { cacheMs?: number; now?: () => number } = {}): (read?: { fresh?: boolean }) => Promise<EgressPolicy> {
  const cacheMs = options.cacheMs ?? EGRESS_CACHE_MS;
  const now = options.now ?? Date.now;
  let cached: { at: number; policy: Promise<EgressPolicy> } | undefined;
  const load = async (): Promise<EgressPolicy> => {
    const stored = await readEgressAllowlist(db).catch((error: unknown) => {
      if (error instanceof ValidationError) return { entries: [] };
      throw error;
    });
    return { allowlist: parseAllowlist([...stored.entries, ...extra]), resolve: systemResolver };
  };
  return (read = {}) => {
    if (!cached || read.fresh || now() - cached.at >= cacheMs) {
      const policy = load();
      cached = { at: now(), policy };
      // A failed read is not cached: the next step tries again.
      policy.catch(() => (cached = undefined));
    }
    return cached.policy;
  };
}

/** Keel's own outgoing requests (alert webhooks) pass the same guard as HTTP steps. */
export async function sendThroughEgress(policy: () => Promise<EgressPolicy>, request: GuardedRequest): Promise<GuardedResponse> {
  return sendGuarded(request, await policy());
}
