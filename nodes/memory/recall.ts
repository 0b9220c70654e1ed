import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn, withHelp } from "../define";

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
      query: withHelp(z.string().min(1, "is required").max(2_000), "What to look for, in words: the items closest in meaning come first. Templates allowed.", ["{{ input.text }}"]),
      subject: withHelp(z.string().regex(/^[a-z][a-z0-9_-]*:.+$/, "must be kind:key, e.g. contact:{{ input.email }}").max(300).optional(), "Only items about this subject, as kind:key. Empty: search everything.", ["contact:{{ input.email }}"]),
      kinds: withHelp(z.array(kindWord).max(20).optional(), "Only items of these kinds. Empty: every kind.", [["note", "preference"]]),
      topK: withHelp(z.number().int("must be a whole number").min(1, "must be at least 1").max(50, "must be at most 50").default(5), "How many items to return at most.", [5]),
      minScore: withHelp(z.number().min(-1, "must be between -1 and 1").max(1, "must be between -1 and 1").default(0), "Leave out items less similar than this, from -1 to 1; 0 keeps anything related.", [0.3]),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn({ query: c.query, subject: c.subject }, ""),
});
