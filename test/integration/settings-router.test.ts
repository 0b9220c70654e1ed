import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorApi, rejection, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";

describe.each(databaseKinds())("settings and audit procedures on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
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
    const error = await rejection(caller.settings.saveRetention({ runPayloadDays: 0 }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("runPayloadDays: must be at least 1 day");
    expect(await caller.settings.retention()).toEqual({ runPayloadDays: 30 });
  });

  it("reads and saves the LLM settings (default model, prices), naming a bad field", async () => {
    expect(await caller.settings.llm()).toEqual({ prices: {}, endpoint: { configured: false }, stored: { baseUrl: null, apiKey: false }, environmentWins: false });
    const error = await rejection(caller.settings.saveLlm({ prices: { "gpt-4o-mini": { input: 0.15, output: -2 } } }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("prices.gpt-4o-mini.output: must not be negative");
    await caller.settings.saveLlm({ defaultModel: "llama3.1", prices: { "llama3.1": { input: 0, output: 0 } } });
    expect(await caller.settings.llm()).toEqual({ defaultModel: "llama3.1", prices: { "llama3.1": { input: 0, output: 0 } }, endpoint: { configured: false }, stored: { baseUrl: null, apiKey: false }, environmentWins: false });
    const { entries } = await caller.audit.list({ limit: 1 });
    expect(entries[0]).toMatchObject({ action: "settings.update", targetId: "llm", detail: { defaultModel: "llama3.1" } });
  });

  it("keeps the egress allowlist: validates every entry by position, normalises, audits", async () => {
    expect(await caller.settings.egressAllowlist()).toEqual({ entries: [] });
    const error = await rejection(caller.settings.saveEgressAllowlist({ entries: ["10.0.0.0/8", "api.internal:99999"] }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("entries.1: 'api.internal:99999': the port must be between 1 and 65535");
    expect(await caller.settings.saveEgressAllowlist({ entries: [" 10.0.0.0/8 ", "*.corp.example", "10.0.0.0/8", "[::1]:8080"] })).toEqual({ entries: ["10.0.0.0/8", "*.corp.example", "[::1]:8080"] });
    expect(await caller.settings.egressAllowlist()).toEqual({ entries: ["10.0.0.0/8", "*.corp.example", "[::1]:8080"] });
    const { entries } = await caller.audit.list({ limit: 1 });
    expect(entries[0]).toMatchObject({ actor: "operator", action: "settings.update", targetId: "egress.allowlist", detail: { entries: ["10.0.0.0/8", "*.corp.example", "[::1]:8080"] } });
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
