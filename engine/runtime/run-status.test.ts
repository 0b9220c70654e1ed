import { describe, expect, it } from "vitest";
import { RunStatus as SqliteRunStatus } from "../store/generated/sqlite/enums";
import { RunStatus as PostgresRunStatus } from "../store/generated/postgres/enums";
import { CONTROL_TRANSITIONS, FINISHED_STATUSES, isFinished, RUN_STATUSES } from "./run-status";

describe("run statuses", () => {
  it("are the database's enum, on both databases", () => {
    expect([...RUN_STATUSES].sort()).toEqual(Object.values(SqliteRunStatus).sort());
    expect([...RUN_STATUSES].sort()).toEqual(Object.values(PostgresRunStatus).sort());
  });

  it("finished means no worker moves the run again by itself", () => {
    expect([...FINISHED_STATUSES].sort()).toEqual(["cancelled", "dead", "failed", "succeeded"]);
    expect(isFinished("waiting")).toBe(false);
    expect(isFinished("running")).toBe(false);
  });

  it("no operator control starts from a finished run, except cancelling a dead one", () => {
    for (const [action, rule] of Object.entries(CONTROL_TRANSITIONS)) {
      const finished = rule.from.filter((s) => isFinished(s));
      expect(finished, action).toEqual(action === "cancel" ? ["dead"] : []);
    }
  });
});
