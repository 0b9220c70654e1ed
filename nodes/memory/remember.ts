import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn, withHelp } from "../define";

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
      subject: withHelp(z.string().regex(/^[a-z][a-z0-9_-]*:.+$/, "must be kind:key, e.g. contact:{{ input.email }}").max(300), "Who or what the item is about, as kind:key. Templates allowed.", ["contact:{{ input.email }}", "project:website"]),
      kind: withHelp(z.string().regex(/^[a-z][a-z0-9_-]*$/, "must be lowercase letters, digits, _ or -").max(40).default("note"), "What sort of item it is, one lowercase word; recall can filter by it.", ["note", "preference"]),
      text: withHelp(z.string().min(1, "is required").max(20_000), "What to remember, in plain words. Templates allowed.", ["Prefers email over calls."]),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn(c, ""),
});
