import { z } from "zod";
import { parseDuration } from "../../engine/duration";
import { defineNode, templatesIn } from "../define";

export const approvalNode = defineNode({
  type: "human.approval",
  version: 1,
  title: "Approval",
  category: "human",
  description: "Pauses the run until the operator approves (optionally after editing) or rejects what is proposed.",
  icon: "check-circle",
  behavior: "approval",
  config: z
    .object({
      title: z.string().min(1, "is required").max(200),
      instructions: z.string().max(5_000).default(""),
      /** What is proposed, shown in the approval queue (templates allowed). */
      proposal: z.unknown().optional(),
      risk: z.enum(["low", "medium", "high"]).default("medium"),
      deadline: z
        .string()
        .refine((d) => parseDuration(d) !== undefined, "must be an ISO 8601 duration such as PT4H or P1D")
        .optional(),
      onDeadline: z.enum(["reject", "approve", "escalate"]).default("escalate"),
    })
    .strict(),
  outputs: [
    { id: "approved", label: "approved" },
    { id: "rejected", label: "rejected" },
  ],
  risk: "medium",
  expressions: (c) => [...templatesIn(c.title, "title"), ...templatesIn(c.instructions, "instructions"), ...templatesIn(c.proposal, "proposal")],
});
