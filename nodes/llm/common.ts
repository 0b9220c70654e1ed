import { z } from "zod";
import type { RetryPolicy } from "../../engine/registry";
import { withHelp } from "../define";

// What the three LLM node types share: the model and sampling fields, the retry policy, and
// the capability they need from the server.

/** The server must have an OpenAI-compatible endpoint (OPENAI_BASE_URL / OPENAI_API_KEY). */
export const LLM_CAPABILITY = "llm";

// Generations are slow and endpoints throttle: fewer, longer attempts than plain HTTP.
export const LLM_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 2_000, maxDelayMs: 5 * 60_000, factor: 2, timeoutMs: 120_000 };

export const modelField = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200)
  .regex(/^[^\s{}]+$/, "must be a model name without spaces or templates")
  .optional();

export const samplingFields = {
  model: withHelp(modelField, "The model to ask. Empty: the default model set in Settings → LLM.", ["gpt-4o-mini", "llama3.1"]),
  temperature: withHelp(z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2").optional(), "0 gives the steadiest answers, 2 the most varied. Empty: the endpoint's default.", [0, 0.7]),
  maxTokens: withHelp(z.number().int("must be a whole number").min(1, "must be at least 1").max(200_000).optional(), "The longest answer, in tokens (about ¾ of a word each). Empty: the endpoint's limit.", [500]),
};

export const systemField = withHelp(z.string().max(20_000).optional(), "Instructions that frame every answer (the system message). Templates allowed.", ["You answer support emails for Acme: politely, briefly, in the customer's language."]);
