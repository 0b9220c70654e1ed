import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import type { Db } from "../../engine/store";
import { FormField, formValuesSchema, type FormFieldSpec } from "../../nodes/human/form";
import type { RunService } from "./runs";
import { zodIssues } from "./zod-issues";

// Forms (human.form) wait as approvals whose packet has kind "form" and the fields. Submitting
// checks the values against those fields (errors name the field) and then decides the approval
// as an edit-and-approve with the typed values, so the concurrency rule is the approvals' own:
// of two submits exactly one wins and the run resumes once.

export const SubmitFormInput = z.object({
  id: z.string().min(1),
  values: z.record(z.string(), z.unknown()),
});

export type FormState = "pending" | "submitted" | "declined" | "expired" | "cancelled";

interface FormPacket {
  kind?: string;
  title?: unknown;
  instructions?: unknown;
  fields?: unknown[];
  proposal?: Record<string, unknown>;
}

/** The packet's fields as the descriptor defines them; a rendered default that no longer fits its field is dropped. */
function fieldsOf(packet: FormPacket): FormFieldSpec[] {
  return (packet.fields ?? []).map((raw) => {
    const parsed = FormField.safeParse(raw);
    if (parsed.success) return parsed.data;
    const { default: _dropped, ...rest } = raw as Record<string, unknown>;
    return FormField.parse(rest);
  });
}

export function formService(db: Db, deps: { runs: RunService }) {
  async function load(id: string) {
    const row = await db.approval.findUnique({
      where: { id },
      select: { id: true, runId: true, nodeId: true, status: true, packet: true, decidedBy: true, decidedAt: true, editedData: true, deadlineAt: true, createdAt: true, run: { select: { status: true, workflow: { select: { name: true } } } } },
    });
    const packet = (row?.packet ?? {}) as FormPacket;
    if (!row || packet.kind !== "form") throw new NotFoundError(`no form '${id}'`);
    return { row, packet };
  }

  return {
    async get(id: string) {
      const { row, packet } = await load(id);
      const state: FormState =
        row.status === "pending" ? (row.run.status === "cancelled" ? "cancelled" : "pending") : row.status === "approved" ? "submitted" : row.status === "rejected" ? "declined" : "expired";
      return {
        id: row.id,
        runId: row.runId,
        nodeId: row.nodeId,
        workflow: row.run.workflow.name,
        state,
        title: String(packet.title ?? ""),
        instructions: String(packet.instructions ?? ""),
        fields: fieldsOf(packet),
        /** What the form opens with: the defaults. */
        defaults: packet.proposal ?? {},
        /** What was submitted (or submitted for the operator at the deadline). */
        values: (row.editedData ?? (row.status === "approved" ? packet.proposal : null) ?? null) as Record<string, unknown> | null,
        decidedBy: row.decidedBy,
        decidedAt: row.decidedAt?.toISOString() ?? null,
        deadlineAt: row.deadlineAt?.toISOString() ?? null,
        createdAt: row.createdAt.toISOString(),
      };
    },

    /** Checks the values against the form's fields, then resumes the run with them (once). */
    async submit(raw: z.input<typeof SubmitFormInput>, actor = "operator") {
      const input = SubmitFormInput.parse(raw);
      const { row, packet } = await load(input.id);
      if (row.status !== "pending") throw new ConflictError(`This form was already ${row.status === "approved" ? "submitted" : row.status === "rejected" ? "declined" : "closed by its deadline"}.`);
      if (row.run.status === "cancelled") throw new ConflictError("The run this form belongs to was cancelled.");
      const fields = fieldsOf(packet);
      const names = new Set(fields.map((f) => f.name));
      const unknown = Object.keys(input.values).filter((k) => !names.has(k));
      if (unknown.length) {
        throw new ValidationError(`values.${unknown[0]}: is not a field of this form`, unknown.map((k) => ({ path: `values.${k}`, message: "is not a field of this form" })));
      }
      const parsed = formValuesSchema(fields).safeParse(input.values);
      if (!parsed.success) {
        const issues = zodIssues(parsed.error, "values");
        const label = fields.find((f) => `values.${f.name}` === issues[0]!.path)?.label;
        throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}${label ? ` (${label})` : ""}`, issues);
      }
      return deps.runs.decide({ approvalId: row.id, decision: "edit", data: parsed.data }, actor, "form");
    },

    /** Follows the form's `declined` port instead of submitting. */
    async decline(input: { id: string; comment?: string | undefined }, actor = "operator") {
      await load(input.id);
      return deps.runs.decide({ approvalId: input.id, decision: "reject", ...(input.comment ? { comment: input.comment } : {}) }, actor, "form");
    },
  };
}

export type FormService = ReturnType<typeof formService>;
