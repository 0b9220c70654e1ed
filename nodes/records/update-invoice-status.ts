import { z } from "zod";
import { defineNode, templatesIn, withHelp } from "../define";

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
      number: withHelp(z.string().min(1, "is required").max(50), "The invoice's number, as Create invoice gave it.", ["{{ outputs.invoice.number }}", "INV-000042"]),
      status: withHelp(z.enum(["draft", "sent", "paid", "overdue", "void"]), "The status to set."),
    })
    .strict(),
  errorPort: true,
  risk: "medium",
  expressions: (c) => templatesIn(c, ""),
});
