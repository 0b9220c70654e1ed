import { z } from "zod";
import { defineNode } from "../define";

// The explicit no-LLM path: workflows branch here on whether an OpenAI-compatible endpoint is
// configured, so what happens without one is drawn on the canvas instead of hidden in a node.

export const llmAvailableNode = defineNode({
  type: "logic.llmAvailable",
  version: 1,
  title: "LLM available?",
  category: "logic",
  description: "Follows `yes` when an LLM endpoint is configured (Settings or OPENAI_BASE_URL), `no` otherwise. LLM nodes behind `yes` do not stop publishing without one.",
  icon: "split",
  behavior: "task",
  // Recorded in the ledger: a run keeps the branch it took, even if the endpoint changes.
  effects: "external",
  config: z.object({}).strict(),
  outputs: [
    { id: "yes", label: "yes" },
    { id: "no", label: "no" },
  ],
  guards: { capability: "llm", port: "yes" },
});
