import { z } from "zod";
import { defineNode, templatesIn, withHelp } from "../define";
import { LLM_CAPABILITY, LLM_RETRY, samplingFields, systemField } from "./common";

export const llmChatNode = defineNode({
  type: "llm.chat",
  version: 1,
  title: "LLM chat",
  category: "adapter",
  description: "Asks the configured OpenAI-compatible endpoint for a completion of a prompt (templates allowed); in JSON mode the answer is parsed.",
  icon: "sparkles",
  behavior: "task",
  config: z
    .object({
      ...samplingFields,
      system: systemField,
      prompt: withHelp(z.string().min(1, "is required").max(50_000), "What to ask the model. Templates allowed: {{ input.text }} puts the request's text in.", ["Summarise this request in one sentence:\n{{ input.text }}"]),
      json: withHelp(z.boolean().default(false), "Ask for a JSON answer and parse it: the step's output is the parsed value instead of text."),
    })
    .strict(),
  errorPort: true,
  retry: LLM_RETRY,
  risk: "low",
  requires: [LLM_CAPABILITY],
  spends: () => true,
  expressions: (c) => [...templatesIn(c.system, "system"), ...templatesIn(c.prompt, "prompt")],
});
