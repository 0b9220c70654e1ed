import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config";
import { servicesFor } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { operatorContext } from "../support/context";
import { databaseKinds, migratedDatabase } from "../support/databases";

const createCaller = createCallerFactory(appRouter);

describe.each(databaseKinds())("settings and audit procedures on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let caller: ReturnType<typeof createCaller>;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-data-")), DATABASE_URL: env.scratch.target.url });
    caller = createCaller(operatorContext(servicesFor(config, env.database)));
  });
  afterAll(async () => {
    await env.dispose();
  });

  it("reads the retention default, saves a new value and records who changed it", async () => {
    expect(await caller.settings.retention()).toEqual({ runPayloadDays: 90 });
    expect(await caller.settings.saveRetention({ runPayloadDays: 30 })).toEqual({ runPayloadDays: 30 });
    expect(await caller.settings.retention()).toEqual({ runPayloadDays: 30 });
    const { entries } = await caller.audit.list({ limit: 5 });
    expect(entries[0]).toMatchObject({ actor: "operator", action: "settings.update", targetId: "retention", detail: { runPayloadDays: 30 } });
  });

  it("refuses a retention of zero days, naming the field, and keeps the old value", async () => {
    const error = await caller.settings.saveRetention({ runPayloadDays: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toBe("runPayloadDays: must be at least 1 day");
    expect(await caller.settings.retention()).toEqual({ runPayloadDays: 30 });
  });

  it("pages through the audit log newest first without gaps or repeats", async () => {
    for (let i = 0; i < 7; i++) await caller.workflow.create({ name: `Audit ${i}` });
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await caller.audit.list({ limit: 3, cursor });
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = await env.database.db.auditLog.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    expect(seen).toEqual(all.map((e) => e.id));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
