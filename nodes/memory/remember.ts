import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn } from "../define";

export const rememberNode = defineNode({
  type: "memory.remember",
  version: 1,
  title: "Remember",
  category: "adapter",
  description:
    "Stores a memory item about a subject (`contact:<email>`, `project:<name>`, …) with its provenance (run and step). The database is the source of truth; the search index is built from it.",
  icon: "bookmark",
  behavior: "task",
  config: z
    .object({
      subject: z.string().regex(/^[a-z][a-z0-9_-]*:.+$/, "must be kind:key, e.g. contact:{{ input.email }}").max(300),
      kind: z.string().regex(/^[a-z][a-z0-9_-]*$/, "must be lowercase letters, digits, _ or -").max(40).default("note"),
      text: z.string().min(1, "is required").max(20_000),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn(c, ""),
});
