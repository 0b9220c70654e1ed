import { z } from "zod";
import type { LlmClient } from "../../infra/llm/client";
import type { IntentForRouting, IntentTarget, LlmLabel } from "./router";

// Asks an OpenAI-compatible model which workflow an intent belongs to, as JSON constrained to
// the accepting workflows' labels. The idempotency key makes a retried routing ask the same
// question under the same key.

const Answer = z.object({ label: z.string(), confidence: z.number().min(0).max(1), reason: z.string().max(500) });

export function llmIntentClassifier(client: LlmClient, model: string, options: { timeoutMs?: number } = {}) {
  return async (intent: IntentForRouting & { id?: string }, targets: readonly IntentTarget[]): Promise<LlmLabel> => {
    const labels = targets.map((t) => t.label);
    const system = [
      "You route requests arriving at a small business to the workflow that handles them.",
      "Workflows (label: what it handles):",
      ...targets.map((t) => `- ${t.label}: ${t.description ?? "(no description)"}`),
      'Answer with JSON: {"label": one of the labels, "confidence": 0..1, "reason": one short sentence}.',
    ].join("\n");
    const answer = await client.chat(
      {
        model,
        temperature: 0,
        messages: [
          { role: "system", content: system },
          { role: "user", content: `Source: ${intent.source}\n\n${intent.text}` },
        ],
        responseFormat: {
          type: "json_schema",
          name: "intent_route",
          schema: {
            type: "object",
            additionalProperties: false,
            required: ["label", "confidence", "reason"],
            properties: { label: { type: "string", enum: labels }, confidence: { type: "number", minimum: 0, maximum: 1 }, reason: { type: "string" } },
          },
        },
      },
      { signal: AbortSignal.timeout(options.timeoutMs ?? 30_000), idempotencyKey: `intent:${intent.id ?? "adhoc"}:route` },
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.content ?? "");
    } catch {
      throw new Error(`the model's answer is not JSON: ${(answer.content ?? "").slice(0, 120)}`);
    }
    const result = Answer.safeParse(parsed);
    if (!result.success) throw new Error(`the model's answer does not fit {label, confidence, reason}: ${result.error.issues[0]?.message ?? ""}`);
    return result.data;
  };
}
