import { z } from "zod";
import { defineNode, templatesIn } from "../define";

export const updateInvoiceStatusNode = defineNode({
  type: "records.updateInvoiceStatus",
  version: 1,
  title: "Set invoice status",
  category: "adapter",
  description: "Moves an invoice (by number) to sent, paid, overdue or void.",
  icon: "check-square",
  behavior: "task",
  config: z
    .object({
      number: z.string().min(1, "is required").max(50),
      status: z.enum(["draft", "sent", "paid", "overdue", "void"]),
    })
    .strict(),
  errorPort: true,
  risk: "medium",
  expressions: (c) => templatesIn(c, ""),
});
