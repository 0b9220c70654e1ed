import { z } from "zod";
import { defineNode, templatesIn, withHelp } from "../define";

export const findContactNode = defineNode({
  type: "records.findContact",
  version: 1,
  title: "Find contact",
  category: "adapter",
  description: "Looks a contact up by email: follows `found` with the contact, or `missing`.",
  icon: "search",
  behavior: "task",
  config: z.object({ email: withHelp(z.string().min(1, "is required").max(320), "The email to look up: `found` carries the contact, `missing` is followed when there is none.", ["{{ input.email }}"]) }).strict(),
  outputs: [
    { id: "found", label: "found" },
    { id: "missing", label: "missing" },
  ],
  errorPort: true,
  expressions: (c) => templatesIn(c, ""),
});
