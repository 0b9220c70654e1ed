import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn } from "../define";

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
      email: z.string().min(1, "is required").max(320),
      name: z.string().min(1, "is required").max(200),
      company: z.string().max(200).optional(),
      phone: z.string().max(50).optional(),
      data: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  expressions: (c) => templatesIn(c, ""),
});
