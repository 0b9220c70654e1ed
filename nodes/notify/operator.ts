import { z } from "zod";
import { defineNode, templatesIn } from "../define";

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
      title: z.string().min(1, "is required").max(200),
      body: z.string().max(5_000).default(""),
      link: z.string().max(2_000).optional(),
      /** Also email it to the operator's address (Settings → Notifications). */
      email: z.boolean().default(false),
    })
    .strict(),
  expressions: (c) => templatesIn(c, ""),
});
