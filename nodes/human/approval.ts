import { z } from "zod";
import { parseDuration } from "../../engine/duration";
import type { DecisionConfig, ExpressionField } from "../../engine/registry";
import { defineNode, templatesIn, withHelp } from "../define";
import { FormField } from "./form";

const deadline = withHelp(
  z
    .string()
    .refine((d) => parseDuration(d) !== undefined, "must be an ISO 8601 duration such as PT4H or P1D")
    .optional(),
  "How long to wait for a decision, as an ISO 8601 duration (PT4H, P1D). Empty: wait as long as it takes.",
  ["PT4H", "P1D"],
);

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
      title: withHelp(z.string().min(1, "is required").max(200), "The item's title in the approval queue: what is being decided. Templates allowed.", ["Send the answer to {{ input.email }}?"]),
      instructions: withHelp(z.string().max(5_000).default(""), "What to check before deciding, shown above the proposal. Templates allowed.", ["Check the amount and that the recipient is a customer."]),
      proposal: withHelp(z.unknown().optional(), "What is proposed, as JSON (string values may hold templates). The approver sees it and may edit it; what is approved is the step's output.", [{ subject: "Re: {{ input.subject }}", body: "{{ outputs.draft.text }}" }]),
      risk: withHelp(z.enum(["low", "medium", "high"]).default("medium"), "How risky approving is. The queue shows it, and an autonomy rule never approves above its max risk."),
      deadline,
      onDeadline: withHelp(z.enum(["reject", "approve", "escalate"]).default("escalate"), "When the deadline passes: reject, approve, or notify the operator and keep waiting (escalate)."),
    })
    .strict() satisfies z.ZodType<DecisionConfig>,
  outputs: [
    { id: "approved", label: "approved" },
    { id: "rejected", label: "rejected" },
  ],
  risk: "medium",
  // Superseded by version 2 in the palette; graphs that use it keep running unchanged.
  deprecated: true,
  expressions: (c) => [...templatesIn(c.title, "title"), ...templatesIn(c.instructions, "instructions"), ...templatesIn(c.proposal, "proposal")],
});

export const RISK_LEVELS = ["low", "medium", "high"] as const;
export type Risk = (typeof RISK_LEVELS)[number];

/**
 * Progressive autonomy: when the server may approve for the operator. `ask` never does;
 * `condition` approves when a JSONata condition on the packet holds; `trust` approves once the
 * operator approved `after` times in a row without editing (an edit or a rejection starts the
 * count again). Both stop at `maxRisk`: an item riskier than it is always asked.
 */
export const Autonomy = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("ask") }).strict(),
  z
    .object({
      mode: z.literal("condition"),
      condition: z.string().min(1, "is required").max(2_000),
      maxRisk: z.enum(RISK_LEVELS).default("medium"),
    })
    .strict(),
  z
    .object({
      mode: z.literal("trust"),
      after: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000, "must be at most 1000"),
      maxRisk: z.enum(RISK_LEVELS).default("low"),
    })
    .strict(),
]);
export type AutonomyConfig = z.output<typeof Autonomy>;

/** The fields of the proposal, typed: the queue's edit form is generated from them. */
const ProposalField = FormField;

export const approvalNodeV2 = defineNode({
  type: "human.approval",
  version: 2,
  title: "Approval",
  category: "human",
  description: "Pauses the run until the operator approves (optionally after editing the typed proposal) or rejects it; can approve by itself under a rule.",
  icon: "check-circle",
  behavior: "approval",
  config: z
    .object({
      title: withHelp(z.string().min(1, "is required").max(200), "The item's title in the approval queue: what is being decided. Templates allowed.", ["Send the answer to {{ input.email }}?"]),
      instructions: withHelp(z.string().max(5_000).default(""), "What to check before deciding, shown above the proposal. Templates allowed.", ["Check the amount and that the recipient is a customer."]),
      proposal: withHelp(z.unknown().optional(), "What is proposed, as JSON (string values may hold templates). The approver sees it and may edit it; what is approved is the step's output.", [{ subject: "Re: {{ input.subject }}", body: "{{ outputs.draft.text }}" }]),
      proposalSchema: withHelp(z.array(ProposalField).max(50, "must have at most 50 fields").default([]), "The proposal's fields, typed (name, label, type, required…): the queue's edit form is built from them.", [[{ name: "body", label: "Answer", type: "textarea", required: true }]]),
      risk: withHelp(z.enum(RISK_LEVELS).default("medium"), "How risky approving is. The queue shows it, and an autonomy rule never approves above its max risk."),
      deadline,
      onDeadline: withHelp(z.enum(["reject", "approve", "escalate"]).default("escalate"), "When the deadline passes: reject, approve, or notify the operator and keep waiting (escalate)."),
      autonomy: withHelp(Autonomy.default({ mode: "ask" }), "When Keel may approve by itself: ask (never), condition (a JSONata condition on the item holds) or trust (after so many approvals in a row without edits), never above maxRisk.", [{ mode: "ask" }, { mode: "trust", after: 5, maxRisk: "low" }]),
    })
    .strict()
    .superRefine((config, ctx) => {
      const names = config.proposalSchema.map((f) => f.name);
      const repeated = names.find((name, i) => names.indexOf(name) !== i);
      if (repeated) ctx.addIssue({ code: "custom", path: ["proposalSchema"], message: `names the field '${repeated}' twice` });
    }) satisfies z.ZodType<DecisionConfig>,
  outputs: [
    { id: "approved", label: "approved" },
    { id: "rejected", label: "rejected" },
  ],
  risk: "medium",
  expressions: (c) => {
    const fields: ExpressionField[] = [...templatesIn(c.title, "title"), ...templatesIn(c.instructions, "instructions"), ...templatesIn(c.proposal, "proposal")];
    if (c.autonomy.mode === "condition") fields.push({ path: "autonomy.condition", source: c.autonomy.condition, kind: "jsonata" });
    return fields;
  },
});

export type ApprovalConfigV2 = z.output<typeof approvalNodeV2.config>;

/** The badge the canvas shows on an approval node: how much it decides by itself. */
export function autonomyBadge(config: unknown): string {
  const parsed = Autonomy.safeParse((config as { autonomy?: unknown } | null)?.autonomy ?? { mode: "ask" });
  if (!parsed.success || parsed.data.mode === "ask") return "Always asks";
  if (parsed.data.mode === "condition") return `Auto-approves when its condition holds (risk ≤ ${parsed.data.maxRisk})`;
  return `Auto-approves after ${parsed.data.after} clean approvals (risk ≤ ${parsed.data.maxRisk})`;
}

export function riskAtMost(risk: string, cap: Risk): boolean {
  const rank = RISK_LEVELS.indexOf(risk as Risk);
  return rank !== -1 && rank <= RISK_LEVELS.indexOf(cap);
}

/** The badge a canvas draws on a node of the graph: an approval's autonomy when it has any, else nothing. */
export function approvalCanvasBadge(node: { type: string; typeVersion: number; config: unknown }): string | null {
  if (node.type !== approvalNodeV2.type || node.typeVersion < 2) return null;
  const mode = Autonomy.safeParse((node.config as { autonomy?: unknown } | null)?.autonomy ?? { mode: "ask" });
  return mode.success && mode.data.mode !== "ask" ? autonomyBadge(node.config) : null;
}
