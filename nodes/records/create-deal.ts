import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn, withHelp } from "../define";

export const createDealNode = defineNode({
  type: "records.createDeal",
  version: 1,
  title: "Create deal",
  category: "adapter",
  description: "Creates a deal for a contact (by email) with a title, stage and amount in minor units. Repeating the step finds the same deal.",
  icon: "briefcase",
  behavior: "task",
  config: z
    .object({
      contactEmail: withHelp(z.string().min(1, "is required").max(320), "The email of the contact the deal is for; the contact must exist (Save contact first).", ["{{ input.email }}"]),
      title: withHelp(z.string().min(1, "is required").max(200), "The deal's name.", ["Website redesign for {{ input.company }}"]),
      stage: withHelp(z.string().min(1, "is required").max(40).default("lead"), "Where the deal stands in your pipeline, one short word.", ["lead", "proposal", "won"]),
      amountMinor: withHelp(z.union([z.number().int("must be whole minor units (e.g. cents)").min(0), z.string().max(200)]).default(0), "The deal's value in minor units (cents): 150000 is 1,500.00. A template may compute it.", [150000]),
      currency: withHelp(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR").default("USD"), "The three-letter ISO 4217 currency code.", ["EUR", "USD"]),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn(c, ""),
});
