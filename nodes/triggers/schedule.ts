import { Cron } from "croner";
import { z } from "zod";
import { defineNode, withHelp } from "../define";

/** A zone Intl knows (IANA names such as Europe/Berlin, or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why croner refuses a five-field cron expression, or undefined when it accepts it. */
export function cronProblem(expression: string): string | undefined {
  if (expression.trim().split(/\s+/).length !== 5) return "must have five fields: minute hour day-of-month month day-of-week (e.g. 0 9 * * 1-5)";
  try {
    return new Cron(expression, { paused: true }).nextRun() ? undefined : "never matches a date (such as the 30th of February)";
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern:\s*/, "");
  }
}

export const scheduleTrigger = defineNode({
  type: "trigger.schedule",
  version: 1,
  title: "Schedule",
  category: "trigger",
  description: "Starts a run at the instants of a cron expression, in a time zone; the input says which instant it is for.",
  icon: "calendar",
  behavior: "trigger",
  config: z
    .object({
      /** Five fields, minute precision: the scheduler looks every few seconds, not every second. */
      cron: withHelp(z.string().max(200).superRefine((value, ctx) => {
        const problem = cronProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }), "When to start, as five fields: minute hour day-of-month month day-of-week.", ["0 9 * * 1-5", "*/15 * * * *"]),
      timezone: withHelp(z.string().max(100).default("UTC").refine(isTimeZone, "must be an IANA time zone such as Europe/Berlin or UTC"), "The IANA time zone the cron times are in.", ["Europe/Berlin", "UTC"]),
      missedFire: withHelp(z.enum(["skip", "runOnce"]).default("skip"), "After downtime: skip the times missed, or start one run for all of them."),
      overlap: withHelp(z.enum(["skip", "queue"]).default("skip"), "When the previous scheduled run is still working: skip this time, or start it when that run ends."),
    })
    .strict(),
  inputs: [],
});

export type ScheduleConfig = z.output<typeof scheduleTrigger.config>;
