import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn, withHelp } from "../define";

export const upsertContactNode = defineNode({
  type: "records.upsertContact",
  version: 1,
  title: "Save contact",
  category: "adapter",
  description: "Creates the contact with this email, or updates the one that has it. Outputs the contact.",
  icon: "user",
  behavior: "task",
  config: z
    .object({
      email: withHelp(z.string().min(1, "is required").max(320), "The contact's email: the contact with it is updated, or a new one created.", ["{{ input.email }}"]),
      name: withHelp(z.string().min(1, "is required").max(200), "The contact's full name.", ["{{ input.name }}"]),
      company: withHelp(z.string().max(200).optional(), "The contact's company.", ["Acme Ltd"]),
      phone: withHelp(z.string().max(50).optional(), "A phone number, written as you would dial it.", ["+44 20 7946 0000"]),
      data: withHelp(z.record(z.string(), z.unknown()).optional(), "Any other facts to keep on the contact, as a JSON object.", [{ plan: "trial", source: "{{ input.source }}" }]),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn(c, ""),
});
