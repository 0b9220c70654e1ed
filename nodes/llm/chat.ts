import { z } from "zod";
import { defineNode, templatesIn } from "../define";
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
      prompt: z.string().min(1, "is required").max(50_000),
      json: z.boolean().default(false),
    })
    .strict(),
  errorPort: true,
  retry: LLM_RETRY,
  risk: "low",
  requires: [LLM_CAPABILITY],
  spends: () => true,
  expressions: (c) => [...templatesIn(c.system, "system"), ...templatesIn(c.prompt, "prompt")],
});
