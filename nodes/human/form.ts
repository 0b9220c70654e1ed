import { z } from "zod";
import { parseDuration } from "../../engine/duration";
import type { DecisionConfig } from "../../engine/registry";
import { defineNode, templatesIn, withHelp } from "../define";

// A form the operator fills in mid-run. It waits like an approval (behavior "approval": the
// same Approval row, deadline and concurrency rules) with the fields in its packet; the form
// page submits the values as an edit-and-approve, checked against the fields first.

export const FORM_FIELD_TYPES = ["text", "textarea", "number", "boolean", "select", "date", "email"] as const;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isDate = (value: string) => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);

export const FormField = z
  .object({
    name: z.string().regex(FIELD_NAME, "must be letters, digits and _, starting with a letter or _ (at most 64)"),
    label: z.string().min(1, "is required").max(200),
    type: z.enum(FORM_FIELD_TYPES),
    required: z.boolean().default(false),
    /** The choices of a select. */
    options: z.array(z.string().min(1, "must not be empty").max(200)).max(100).optional(),
    /** Filled in when the form opens, and what `submitDefaults` submits; strings may be templates. */
    default: z.union([z.string().max(5_000), z.number(), z.boolean()]).optional(),
    help: z.string().max(1_000).default(""),
  })
  .strict()
  .superRefine((field, ctx) => {
    if (field.type === "select") {
      if (!field.options?.length) ctx.addIssue({ code: "custom", path: ["options"], message: "a select needs at least one option" });
      else if (new Set(field.options).size !== field.options.length) ctx.addIssue({ code: "custom", path: ["options"], message: "must not repeat an option" });
    } else if (field.options) {
      ctx.addIssue({ code: "custom", path: ["options"], message: `only a select has options (this field is ${field.type})` });
    }
    const d = field.default;
    if (d === undefined || (typeof d === "string" && d.includes("{{"))) return;
    const wrong = (message: string) => ctx.addIssue({ code: "custom", path: ["default"], message });
    if (field.type === "number" && typeof d !== "number") wrong("must be a number for a number field");
    if (field.type === "boolean" && typeof d !== "boolean") wrong("must be true or false for a boolean field");
    if (["text", "textarea", "email", "select", "date"].includes(field.type) && typeof d !== "string") wrong(`must be a string for a ${field.type} field`);
    if (field.type === "select" && typeof d === "string" && field.options && !field.options.includes(d)) wrong("must be one of the options");
    if (field.type === "date" && typeof d === "string" && !isDate(d)) wrong("must be a date as YYYY-MM-DD");
  });

export type FormFieldSpec = z.output<typeof FormField>;

export const formNode = defineNode({
  type: "human.form",
  version: 1,
  title: "Form",
  category: "human",
  description: "Pauses the run until the operator fills in a form; the values they submit, typed, are its output.",
  icon: "clipboard",
  behavior: "approval",
  config: z
    .object({
      title: withHelp(z.string().min(1, "is required").max(200), "The form's title in the queue and on its page. Templates allowed.", ["Write the answer to {{ input.email }}"]),
      instructions: withHelp(z.string().max(5_000).default(""), "What to fill in and why, shown above the fields. Templates allowed.", ["The customer asked: {{ input.text }}"]),
      fields: withHelp(
        z
          .array(FormField)
          .min(1, "a form needs at least one field")
          .max(50)
          .superRefine((fields, ctx) => {
            const seen = new Set<string>();
            fields.forEach((f, i) => {
              if (seen.has(f.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `'${f.name}' is used by an earlier field; names must be unique` });
              seen.add(f.name);
            });
          }),
        "The form's fields: name (the key in the output), label, type (text, textarea, number, boolean, select, date, email), required, options of a select, default, help.",
        [[{ name: "answer", label: "Answer", type: "textarea", required: true }]],
      ),
      deadline: withHelp(
        z
          .string()
          .refine((d) => parseDuration(d) !== undefined, "must be an ISO 8601 duration such as PT4H or P1D")
          .optional(),
        "How long to wait for the form, as an ISO 8601 duration (PT4H, P1D). Empty: wait as long as it takes.",
        ["PT4H", "P1D"],
      ),
      onDeadline: withHelp(z.enum(["decline", "submitDefaults", "escalate"]).default("escalate"), "When the deadline passes: follow `declined`, submit the defaults, or notify the operator and keep waiting (escalate)."),
    })
    .strict()
    .superRefine((config, ctx) => {
      if (config.onDeadline !== "submitDefaults") return;
      config.fields.forEach((f, i) => {
        if (f.required && f.default === undefined) ctx.addIssue({ code: "custom", path: ["fields", i, "default"], message: "is needed: onDeadline submitDefaults submits the defaults, and this field is required" });
      });
    }) satisfies z.ZodType<DecisionConfig>,
  outputs: [
    { id: "submitted", label: "submitted" },
    { id: "declined", label: "declined" },
  ],
  expressions: (c) => [...templatesIn(c.title, "title"), ...templatesIn(c.instructions, "instructions"), ...templatesIn(c.fields, "fields")],
});

/**
 * The schema submitted values must meet: every field by name, typed; an optional field left
 * empty is null. Issues carry the field's name as their path.
 */
export function formValuesSchema(fields: FormFieldSpec[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const f of fields) {
    // Absent (or blank, below) is "is required" for a required field, whatever its type.
    const says = (text: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : text) });
    let schema: z.ZodType;
    switch (f.type) {
      case "number":
        schema = z.number(says("must be a number"));
        break;
      case "boolean":
        schema = f.required ? z.literal(true, says("must be ticked")) : z.boolean(says("must be true or false"));
        break;
      case "select":
        schema = z.enum(f.options as [string, ...string[]], says(`must be one of: ${(f.options ?? []).join(", ")}`));
        break;
      case "date":
        schema = z.string(says("must be a date as YYYY-MM-DD")).refine(isDate, "must be a date as YYYY-MM-DD");
        break;
      case "email":
        schema = z.email(says("must be an email address")).max(320);
        break;
      default: {
        const max = f.type === "textarea" ? 20_000 : 2_000;
        schema = z.string(says("must be text")).max(max, `must be at most ${max} characters`);
      }
    }
    // Empty text counts as not given, so "required" means something for text too.
    const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");
    if (f.required) shape[f.name] = z.preprocess((v) => (blank(v) ? undefined : v), schema);
    // An unticked box is false, not "not given".
    else if (f.type === "boolean") shape[f.name] = z.preprocess((v) => (v === undefined || v === null ? false : v), schema);
    else shape[f.name] = z.preprocess((v) => (blank(v) ? null : v), schema.nullable());
  }
  // Every field appears in the output, so later nodes can rely on the keys.
  return z
    .object(shape)
    .strict()
    .transform((values) => Object.fromEntries(fields.map((f) => [f.name, values[f.name] ?? (f.type === "boolean" ? false : null)])));
}
