import { evaluate } from "../../engine/expressions";
import { voteOnNeighbours, type Neighbour } from "./vote";

// The coordinator's routing decision for one intent: operator rules first (JSONata on the
// intent), then the LLM's classification into the labels of workflows that accept intents
// (when an endpoint is configured), else the nearest past routed intents in memory. Below the
// confidence threshold the intent waits for the operator (triage). Pure apart from the
// classifiers it is given, and every decision says why.

export interface IntentTarget {
  workflowId: string;
  /** The label of the workflow's `trigger.intent` node: what the router names. */
  label: string;
  description?: string | undefined;
}

export interface IntentRule {
  id: string;
  /** JSONata on the intent (`source`, `text`, `subject`, `fields`); truthy routes it. */
  when: string;
  label: string;
}

export interface IntentForRouting {
  source: string;
  text: string;
  subject?: string | null | undefined;
  fields?: Record<string, unknown> | undefined;
}

export interface LlmLabel {
  label: string;
  confidence: number;
  reason: string;
}

export interface RouterInput {
  targets: readonly IntentTarget[];
  rules: readonly IntentRule[];
  /** Absent when no LLM endpoint is configured. */
  classify?: ((intent: IntentForRouting, targets: readonly IntentTarget[]) => Promise<LlmLabel>) | undefined;
  /** Past routed intents nearest to this one (memory); absent or empty when there are none. */
  nearest?: ((intent: IntentForRouting) => Promise<Neighbour[]>) | undefined;
  /** Below this confidence the intent goes to triage. */
  threshold: number;
}

export type RouteVia = "rule" | "llm" | "examples";

export interface Candidate {
  via: RouteVia;
  label: string;
  confidence: number;
}

export type RouteDecision =
  | {
      kind: "routed";
      via: RouteVia;
      label: string;
      workflowId: string;
      confidence: number;
      reason: string;
      ruleId?: string | undefined;
      neighbours?: Neighbour[] | undefined;
      /** Classifiers that failed on the way (an LLM endpoint down), so the record shows it. */
      skipped: string[];
    }
  | { kind: "triage"; reason: string; candidates: Candidate[]; neighbours?: Neighbour[] | undefined; skipped: string[] };

const percent = (n: number) => `${Math.round(n * 100)} %`;

export async function routeIntent(intent: IntentForRouting, input: RouterInput): Promise<RouteDecision> {
  const byLabel = new Map(input.targets.map((t) => [t.label, t]));
  const skipped: string[] = [];
  const candidates: Candidate[] = [];

  for (const rule of input.rules) {
    let matched: unknown;
    try {
      matched = await evaluate(rule.when, intent);
    } catch (error) {
      skipped.push(`rule ${rule.id}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (!matched) continue;
    const target = byLabel.get(rule.label);
    if (!target) {
      skipped.push(`rule ${rule.id}: no published workflow accepts intents labelled '${rule.label}'`);
      continue;
    }
    return { kind: "routed", via: "rule", label: rule.label, workflowId: target.workflowId, confidence: 1, reason: `rule ${rule.id} matched (${rule.when})`, ruleId: rule.id, skipped };
  }

  if (input.targets.length === 0) return { kind: "triage", reason: "no published workflow accepts intents", candidates, skipped };

  if (input.classify) {
    try {
      const answer = await input.classify(intent, input.targets);
      const target = byLabel.get(answer.label);
      if (!target) skipped.push(`llm: answered '${answer.label}', which no workflow accepts`);
      else {
        candidates.push({ via: "llm", label: answer.label, confidence: answer.confidence });
        if (answer.confidence >= input.threshold)
          return { kind: "routed", via: "llm", label: answer.label, workflowId: target.workflowId, confidence: answer.confidence, reason: `the model chose '${answer.label}' (${percent(answer.confidence)}): ${answer.reason}`, skipped };
      }
    } catch (error) {
      skipped.push(`llm: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const neighbours = input.nearest ? (await input.nearest(intent)).filter((n) => byLabel.has(n.label)) : [];
  const vote = voteOnNeighbours(neighbours);
  if (vote) {
    candidates.push({ via: "examples", label: vote.label, confidence: vote.confidence });
    if (vote.confidence >= input.threshold)
      return {
        kind: "routed",
        via: "examples",
        label: vote.label,
        workflowId: byLabel.get(vote.label)!.workflowId,
        confidence: vote.confidence,
        reason: `${vote.neighbours.filter((n) => n.label === vote.label).length} of the ${vote.neighbours.length} most similar past intents went to '${vote.label}' (${percent(vote.confidence)} of the weighted vote)`,
        neighbours: vote.neighbours,
        skipped,
      };
  }

  const best = [...candidates].sort((a, b) => b.confidence - a.confidence)[0];
  const reason = best
    ? `not sure enough: best guess '${best.label}' by ${best.via} at ${percent(best.confidence)}, below the ${percent(input.threshold)} threshold`
    : "no rule matched, no LLM endpoint answered and no past routed intent is similar enough to vote";
  return { kind: "triage", reason, candidates, neighbours: vote?.neighbours, skipped };
}
