import { createHash } from "node:crypto";
import { PermanentError } from "../../engine/errors";
import type { LlmClient } from "./client";

// Hot summaries for memory subjects, written by the configured LLM. As reproducible as the
// endpoint allows: temperature 0, a fixed seed, the items in the caller's order, and an
// idempotency key derived from the input, so the same subject and items ask the same question.

export interface SummaryItem {
  text: string;
  kind?: string | undefined;
  /** When the item was recorded (ISO string or Date); shown to the model for recency. */
  at?: string | Date | undefined;
}

export interface Summarizer {
  summarize(subject: string, items: SummaryItem[], options?: { signal?: AbortSignal }): Promise<string>;
}

export interface LlmSummarizerOptions {
  model: string;
  /** Longest answer, in tokens. */
  maxTokens?: number;
  /** The most input text sent, in characters: the newest items (the end of the list) are kept. */
  maxInputChars?: number;
  /** Told what each summary used, so its spending is counted (it belongs to no run). */
  onUsage?: (usage: { promptTokens: number; completionTokens: number; totalTokens: number }) => Promise<void>;
}

function line(item: SummaryItem): string {
  const at = item.at === undefined ? "" : `${typeof item.at === "string" ? item.at : item.at.toISOString()} `;
  return `- ${at}${item.kind ? `[${item.kind}] ` : ""}${item.text.replace(/\s+/g, " ").trim()}`;
}

/** A Summarizer over an OpenAI-compatible endpoint; errors are Keel's (see client.ts). */
export function llmSummarizer(client: LlmClient, options: LlmSummarizerOptions): Summarizer {
  const maxInput = options.maxInputChars ?? 24_000;
  return {
    async summarize(subject, items, { signal } = {}) {
      const lines: string[] = [];
      let size = 0;
      for (const item of [...items].reverse()) {
        const l = line(item);
        if (size + l.length > maxInput && lines.length) break;
        lines.unshift(l);
        size += l.length + 1;
      }
      const messages = [
        {
          role: "system" as const,
          content:
            "You keep a short, factual summary of everything known about one subject for a one-person business. Write at most five sentences of plain text, newest facts winning over older ones. Do not invent anything.",
        },
        { role: "user" as const, content: `Subject: ${subject}\nItems (oldest first):\n${lines.join("\n") || "(none)"}` },
      ];
      const key = `summary:${createHash("sha256").update(JSON.stringify([options.model, messages])).digest("hex").slice(0, 32)}`;
      const answer = await client.chat({ model: options.model, messages, temperature: 0, seed: 0, maxTokens: options.maxTokens ?? 300 }, { signal: signal ?? new AbortController().signal, idempotencyKey: key });
      await options.onUsage?.(answer.usage);
      const text = answer.content?.trim();
      if (!text) throw new PermanentError(`summary of '${subject}': the model answered without text`);
      return text;
    },
  };
}
