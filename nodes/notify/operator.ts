import { z } from "zod";
import { defineNode, templatesIn, withHelp } from "../define";

export const notifyOperatorNode = defineNode({
  type: "notify.operator",
  version: 1,
  title: "Notify me",
  category: "human",
  description: "Leaves a notification for the operator in Keel, with an optional link (a path in Keel or a full URL), and optionally emails it. The run goes on.",
  icon: "bell",
  behavior: "task",
  config: z
    .object({
      title: withHelp(z.string().min(1, "is required").max(200), "The notification's headline. Templates allowed.", ["New order from {{ input.email }}"]),
      body: withHelp(z.string().max(5_000).default(""), "More detail under the headline. Templates allowed.", ["{{ input.text }}"]),
      link: withHelp(z.string().max(2_000).optional(), "Where the notification leads when clicked: a path in Keel or a full URL.", ["/approvals", "https://crm.example.com/deals/{{ outputs.deal.id }}"]),
      email: withHelp(z.boolean().default(false), "Also email it to the operator's address (Settings → Notifications)."),
    })
    .strict(),
  expressions: (c) => templatesIn(c, ""),
});
