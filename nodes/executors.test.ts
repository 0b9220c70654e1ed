import { describe, expect, it } from "vitest";
import type { ExecutionContext, RecordsCapability, StepResult } from "../engine/registry";
import { CATALOG } from "./catalog";
import { EXECUTORS } from "./executors";

// The control-flow executors run on their context alone: no capabilities are given here.

function ctx(meta: (typeof CATALOG)[number], config: unknown, data: ExecutionContext["data"], visit = 1): ExecutionContext {
  return { runId: "r1", nodeId: "n", visit, iteration: visit, idempotencyKey: `r1:n:${visit}`, config: meta.config.parse(config), data, signal: new AbortController().signal };
}

function run(type: string, config: unknown, data: ExecutionContext["data"] = { input: {}, outputs: {} }, visit = 1): Promise<StepResult> {
  const meta = CATALOG.find((m) => m.type === type)!;
  return EXECUTORS.get(`${meta.type}@${meta.version}`)!(ctx(meta, config, data, visit));
}

describe("the executor registry", () => {
  it("has exactly one executor for every node type the executors perform, and none for the rest", () => {
    const needed = CATALOG.filter((m) => m.execution === "executor").map((m) => `${m.type}@${m.version}`).sort();
    expect([...EXECUTORS.keys()].sort()).toEqual(needed);
    expect(needed.length).toBeGreaterThan(0);
  });
});

describe("control-flow executors", () => {
  const data = { input: { amount: 250, orders: [{ id: 1 }, { id: 2 }], topic: "bug" }, outputs: { shape: { total: 3 } } };

  it("if follows the condition, over the input and earlier outputs", async () => {
    expect(await run("logic.if", { condition: "input.amount > 100" }, data)).toEqual({ port: "true", output: { value: true } });
    expect((await run("logic.if", { condition: "shape.total > 5" }, data)).port).toBe("false");
    expect((await run("logic.if", { condition: "outputs.shape.total = 3" }, data)).port).toBe("true");
    expect((await run("logic.if", { condition: "input.missing" }, data)).port).toBe("false");
  });

  it("switch takes the first matching case, else default", async () => {
    const cases = { cases: [{ port: "billing", when: "input.topic = 'billing'" }, { port: "bug", when: "input.topic = 'bug'" }] };
    expect(await run("logic.switch", cases, data)).toEqual({ port: "bug", output: { case: "bug" } });
    expect((await run("logic.switch", cases, { input: { topic: "hi" }, outputs: {} })).port).toBe("default");
  });

  it("transform computes its output with JSONata; set renders templates", async () => {
    expect(await run("data.transform", { expression: "{ 'double': input.amount * 2 }" }, data)).toEqual({ port: "out", output: { double: 500 } });
    expect(await run("data.set", { fields: { amount: "{{ input.amount }}", note: "Total: {{ shape.total }} EUR", fixed: 7 } }, data)).toEqual({
      port: "out",
      output: { amount: 250, note: "Total: 3 EUR", fixed: 7 },
    });
  });

  it("for-each hands out one item per visit, then done", async () => {
    const config = { items: "input.orders" };
    expect(await run("loop.forEach", config, data, 1)).toEqual({ port: "item", output: { item: { id: 1 }, index: 0, count: 2 } });
    expect(await run("loop.forEach", config, data, 2)).toEqual({ port: "item", output: { item: { id: 2 }, index: 1, count: 2 } });
    expect(await run("loop.forEach", config, data, 3)).toEqual({ port: "done", output: { count: 2 } });
    await expect(run("loop.forEach", { items: "input.orders", maxItems: 1 }, data)).rejects.toThrow("items: the list has 2 elements; the limit (maxItems) is 1");
  });

  it("repeat-until stops on the condition, or at the iteration limit", async () => {
    expect(await run("loop.until", { condition: "false", maxIterations: 2 }, data, 1)).toEqual({ port: "again", output: { iteration: 1 } });
    expect(await run("loop.until", { condition: "false", maxIterations: 2 }, data, 3)).toEqual({ port: "done", output: { iterations: 2, stoppedBy: "limit" } });
    expect(await run("loop.until", { condition: "input.amount > 1", maxIterations: 2 }, data, 1)).toEqual({ port: "done", output: { iterations: 0, stoppedBy: "condition" } });
  });
});

describe("effectful executors", () => {
  it("reach the outside world only through capabilities on ctx: without one, a configuration error names it", async () => {
    const cases: [string, unknown, string][] = [
      ["http.request", { url: "https://api.example.com/x" }, "http"],
      ["records.findContact", { email: "ada@example.test" }, "records"],
      ["email.send", { to: "ada@example.test", subject: "Hi" }, "mail"],
      ["notify.operator", { title: "Hi" }, "notifications"],
      ["memory.recall", { query: "invoices" }, "memory"],
      ["memory.remember", { subject: "contact:ada@example.test", text: "Likes tea." }, "memory"],
      ["llm.chat", { prompt: "Hi" }, "llm"],
    ];
    for (const [type, config, capability] of cases) {
      await expect(run(type, config), type).rejects.toMatchObject({ kind: "configuration", message: expect.stringContaining(`no ${capability} capability`) });
    }
    // "LLM available?" asks the capability; without one the answer is no.
    expect(await run("logic.llmAvailable", {})).toEqual({ port: "no", output: { available: false } });
  });

  it("use the capability the server hands them", async () => {
    const meta = CATALOG.find((m) => m.type === "records.findContact")!;
    const asked: string[] = [];
    const records = {
      findContact: async (email: string) => (asked.push(email), email === "ada@example.test" ? { id: "c1", email, name: "Ada", company: null, phone: null } : null),
    } as unknown as RecordsCapability;
    const execute = EXECUTORS.get(`${meta.type}@${meta.version}`)!;
    expect(await execute({ ...ctx(meta, { email: "{{ input.email }}" }, { input: { email: "ada@example.test" }, outputs: {} }), records })).toEqual({
      port: "found",
      output: { id: "c1", email: "ada@example.test", name: "Ada", company: null, phone: null },
    });
    expect(await execute({ ...ctx(meta, { email: "bob@example.test" }, { input: {}, outputs: {} }), records })).toEqual({ port: "missing", output: null });
    expect(asked).toEqual(["ada@example.test", "bob@example.test"]);
  });
});
