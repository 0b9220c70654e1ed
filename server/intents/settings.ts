import { z } from "zod";
import { ValidationError } from "../../engine/errors";
import { parseJsonata } from "../../engine/expressions";
import { json, type Db } from "../../engine/store";
import { INTENT_LABEL } from "../../nodes/triggers/intent";
import { audit } from "../services/audit";
import { zodIssues } from "../services/zod-issues";

// The router's settings, kept in the Settings table: the operator's rules (JSONata on the
// intent, tried in order) and the confidence below which an intent waits for the operator.
// Rules are parsed on save, so a typo is refused with the field named, never met at routing.

export const INTENT_ROUTING_SETTING = "intents.routing";

export const IntentRoutingSettingsSchema = z.object({
  threshold: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").default(0.6),
  /**
   * Past intents less similar than this (cosine) do not vote: one loose example would
   * otherwise carry the whole vote and route anything to its workflow.
   */
  minSimilarity: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").default(0.5),
  rules: z
    .array(
      z
        .object({
          id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "must be 1-40 letters, digits, - or _"),
          when: z
            .string()
            .max(2_000)
            .superRefine((source, ctx) => {
              const problem = parseJsonata(source);
              if (problem) ctx.addIssue({ code: "custom", message: `is not a JSONata expression: ${problem.message}` });
            }),
          label: z.string().regex(INTENT_LABEL, "must be the label of an intent trigger (lowercase letters, digits, - or _)"),
        })
        .strict(),
    )
    .max(200)
    .superRefine((rules, ctx) => {
      const seen = new Set<string>();
      rules.forEach((rule, i) => {
        if (seen.has(rule.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `'${rule.id}' is used by an earlier rule` });
        seen.add(rule.id);
      });
    })
    .default([]),
});

export type IntentRoutingSettings = z.output<typeof IntentRoutingSettingsSchema>;

function parse(value: unknown): IntentRoutingSettings {
  const parsed = IntentRoutingSettingsSchema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

export async function readIntentRouting(db: Db): Promise<IntentRoutingSettings> {
  const row = await db.setting.findUnique({ where: { key: INTENT_ROUTING_SETTING } });
  return parse(row?.value ?? {});
}

export async function saveIntentRouting(db: Db, input: unknown, actor = "operator"): Promise<IntentRoutingSettings> {
  const settings = parse(input);
  await db.setting.upsert({ where: { key: INTENT_ROUTING_SETTING }, create: { key: INTENT_ROUTING_SETTING, value: json(settings) }, update: { value: json(settings) } });
  await audit(db, { actor, action: "settings.update", targetType: "setting", targetId: INTENT_ROUTING_SETTING, detail: { rules: settings.rules.length, threshold: settings.threshold } });
  return settings;
}
