import { z } from "zod";

export const ALERT_METRICS = ["retry_rate", "backlog_age", "dead_letter_growth", "daily_cost"] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

/** What each metric measures, in the words the notification uses. */
export const METRIC_TEXT: Record<AlertMetric, { what: string; unit: (value: number) => string }> = {
  retry_rate: { what: "retry rate over the last hour", unit: (v) => `${(v * 100).toFixed(1)}%` },
  backlog_age: { what: "age of the oldest queued run", unit: (v) => `${Math.round(v)} s` },
  dead_letter_growth: { what: "dead letters in the last hour", unit: (v) => String(Math.round(v)) },
  daily_cost: { what: "cost today (UTC)", unit: (v) => v.toFixed(2) },
};

const Url = z
  .string()
  .trim()
  .max(2000, "must be at most 2000 characters")
  .refine((value) => {
    try {
      return ["http:", "https:"].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, "must be an http or https URL");

export const AlertRuleInput = z
  .object({
    name: z.string().trim().min(1, "is required").max(120, "must be at most 120 characters"),
    metric: z.enum(ALERT_METRICS, { error: `must be one of ${ALERT_METRICS.join(", ")}` }),
    threshold: z.number().finite("must be a number").min(0, "must be 0 or more"),
    cooldownMinutes: z.number().int("must be a whole number of minutes").min(1, "must be at least 1").max(10_080, "must be at most a week (10080)").default(60),
    /** Also email this address (through the SMTP credential of the notification settings). */
    email: z.email("must be an email address").nullish(),
    webhookUrl: Url.nullish(),
    /** A credential of kind "signing": its secret signs the webhook POST. */
    webhookSecret: z.string().trim().min(1).nullish(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .refine((rule) => rule.metric !== "retry_rate" || rule.threshold <= 1, { path: ["threshold"], message: "is a share for retry_rate: from 0 to 1" })
  .refine((rule) => !rule.webhookSecret || rule.webhookUrl, { path: ["webhookSecret"], message: "needs a webhookUrl to sign" });

export type AlertRuleInput = z.output<typeof AlertRuleInput>;
