import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn, withHelp } from "../define";

// Money is integer minor units (cents) with an ISO 4217 currency; quantities are whole numbers.
const minor = z.union([z.number().int("must be whole minor units (e.g. cents)").min(0), z.string().max(200)]);

export const createInvoiceNode = defineNode({
  type: "records.createInvoice",
  version: 1,
  title: "Create invoice",
  category: "adapter",
  description: "Creates a numbered draft invoice for a contact (by email) from line items in minor units. Repeating the step finds the same invoice.",
  icon: "file-text",
  behavior: "task",
  config: z
    .object({
      contactEmail: withHelp(z.string().min(1, "is required").max(320), "The email of the contact to invoice; the contact must exist (Save contact first).", ["{{ input.email }}"]),
      currency: withHelp(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR"), "The three-letter ISO 4217 currency code.", ["EUR", "USD"]),
      lines: withHelp(
        z
          .array(z.object({ description: z.string().min(1, "is required").max(500), quantity: minor, unitMinor: minor }).strict())
          .min(1, "needs at least one line")
          .max(200),
        "The invoice lines: description, quantity, and unit price in minor units (cents). Quantities and prices may be templates.",
        [[{ description: "Consulting, 1 day", quantity: 1, unitMinor: 80000 }]],
      ),
      dueInDays: withHelp(z.number().int().min(0).max(365).default(14), "Days from today until payment is due.", [14, 30]),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  risk: "medium",
  expressions: (c) => templatesIn(c, ""),
});
