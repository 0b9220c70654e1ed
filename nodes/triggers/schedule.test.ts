import { describe, expect, it } from "vitest";
import { validateGraph } from "../../engine/graph/validate";
import { registry } from "../catalog";
import { scheduleTrigger } from "./schedule";

const problemsFor = (config: Record<string, unknown>) =>
  validateGraph(
    {
      schemaVersion: 1,
      nodes: [{ id: "tick", type: "trigger.schedule", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config }],
      edges: [],
    },
    registry,
  ).problems.map((p) => `${p.path}: ${p.message}`);

describe("trigger.schedule config", () => {
  it("accepts a five-field cron expression in an IANA zone, with defaults", () => {
    expect(scheduleTrigger.config.parse({ cron: "0 9 * * 1-5", timezone: "Europe/Berlin" })).toEqual({ cron: "0 9 * * 1-5", timezone: "Europe/Berlin", missedFire: "skip", overlap: "skip" });
    expect(scheduleTrigger.config.parse({ cron: "*/15 * * * *" }).timezone).toBe("UTC");
  });

  it("names the field when the cron expression or the zone is wrong", () => {
    expect(problemsFor({ cron: "every monday" }).join("\n")).toMatch(/nodes\.0\.config\.cron: .*must have five fields/);
    expect(problemsFor({ cron: "0 9 * * * *" }).join("\n")).toMatch(/nodes\.0\.config\.cron: .*must have five fields/);
    expect(problemsFor({ cron: "0 25 * * *" }).join("\n")).toMatch(/nodes\.0\.config\.cron: .*/);
    expect(problemsFor({ cron: "0 0 30 2 *" }).join("\n")).toMatch(/nodes\.0\.config\.cron: .*never matches a date/);
    expect(problemsFor({ cron: "0 9 * * *", timezone: "Mars/Olympus" }).join("\n")).toMatch(/nodes\.0\.config\.timezone: .*must be an IANA time zone/);
    expect(problemsFor({ cron: "0 9 * * *", missedFire: "all" }).join("\n")).toMatch(/nodes\.0\.config\.missedFire/);
  });
});
