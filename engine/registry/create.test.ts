import { z } from "zod";
import { describe, expect, it } from "vitest";
import { createRegistry } from "./create";
import type { NodeMeta } from "./types";

// Registry mechanics with stand-in descriptors (not product node types).
function meta(type: string, version: number, deprecated = false): NodeMeta<Record<string, never>> {
  return {
    type,
    version,
    title: `${type} v${version}`,
    category: "logic",
    description: "",
    icon: "",
    behavior: "task",
    config: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
    inputs: [{ id: "in", label: "in" }],
    outputs: () => [{ id: "out", label: "out" }],
    errorPort: false,
    retry: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 1, timeoutMs: 1_000 },
    risk: "low",
    expressions: () => [],
    execution: "executor",
    effects: "none",
    ...(deprecated ? { deprecated: true } : {}),
  };
}

describe("the node registry", () => {
  it("keeps several versions of one type, so old workflows keep running; the palette gets the newest", () => {
    const registry = createRegistry([meta("demo.step", 2), meta("demo.step", 1, true), meta("demo.other", 1)]);
    expect(registry.get("demo.step", 1)?.title).toBe("demo.step v1");
    expect(registry.get("demo.step", 2)?.title).toBe("demo.step v2");
    expect(registry.versions("demo.step")).toEqual([1, 2]);
    expect(registry.latest("demo.step")?.version).toBe(2);
    expect(registry.all().map((m) => `${m.type}@${m.version}`)).toEqual(["demo.other@1", "demo.step@1", "demo.step@2"]);
  });

  it("hides deprecated versions from the palette but never from old graphs", () => {
    const registry = createRegistry([meta("demo.step", 1), meta("demo.step", 2, true)]);
    expect(registry.latest("demo.step")?.version).toBe(1);
    expect(registry.get("demo.step", 2)).toBeDefined();
  });

  it("refuses a type registered twice at the same version", () => {
    expect(() => createRegistry([meta("demo.step", 1), meta("demo.step", 1)])).toThrow("node type demo.step@1 is registered twice");
  });
});
