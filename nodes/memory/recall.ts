import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn } from "../define";

const kindWord = z.string().regex(/^[a-z][a-z0-9_-]*$/, "must be lowercase letters, digits, _ or -").max(40);

export const recallNode = defineNode({
  type: "memory.recall",
  version: 1,
  title: "Recall",
  category: "adapter",
  description:
    "Finds the memory items closest in meaning to a query, optionally about one subject and of some kinds, with their provenance, and the subject's summary. Results are read from the database, the source of truth.",
  icon: "search",
  behavior: "task",
  config: z
    .object({
      query: z.string().min(1, "is required").max(2_000),
      subject: z.string().regex(/^[a-z][a-z0-9_-]*:.+$/, "must be kind:key, e.g. contact:{{ input.email }}").max(300).optional(),
      kinds: z.array(kindWord).max(20).optional(),
      topK: z.number().int("must be a whole number").min(1, "must be at least 1").max(50, "must be at most 50").default(5),
      minScore: z.number().min(-1, "must be between -1 and 1").max(1, "must be between -1 and 1").default(0),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn({ query: c.query, subject: c.subject }, ""),
});
