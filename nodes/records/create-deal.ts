import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn } from "../define";

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
      contactEmail: z.string().min(1, "is required").max(320),
      title: z.string().min(1, "is required").max(200),
      stage: z.string().min(1, "is required").max(40).default("lead"),
      amountMinor: z.union([z.number().int("must be whole minor units (e.g. cents)").min(0), z.string().max(200)]).default(0),
      currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR").default("USD"),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn(c, ""),
});
