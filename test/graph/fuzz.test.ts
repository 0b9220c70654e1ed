import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { compileGraph } from "../../engine/graph/compile";
import { validateGraph, type ValidationResult } from "../../engine/graph/validate";
import { registry } from "../../nodes/catalog";
import { graphArbitrary } from "./arbitrary-graphs";
import { moveAndRelabel, mutate, mutationArbitrary } from "./graph-mutations";
import { anythingArbitrary, DEEP, EXTREMES, graphLikeArbitrary } from "./random-documents";

// validateGraph against 10,000 documents (fixed seeds): random and hostile ones, and single
// mutations of valid graphs. It must answer every one, quickly, with problems an editor can
// point at, and leave the prototypes as it found them.

const SEED = 424_242;
const RANDOM_DOCUMENTS = 3_000;
const GRAPH_LIKE_DOCUMENTS = 2_000;
const HARMLESS_EDITS = 500;
const MUTATIONS = 10_000 - RANDOM_DOCUMENTS - GRAPH_LIKE_DOCUMENTS - HARMLESS_EDITS - EXTREMES.length - DEEP.length;
/** Per document; generous for 2 slow cores, tight enough to catch anything super-linear. */
const MAX_MS = 2_000;

const prototypeState = () =>
  [Object.prototype, Array.prototype, Object.getPrototypeOf(() => 0) as object].map((p) => Reflect.ownKeys(p).map(String).sort().join(","));

let before: string[];
beforeAll(() => {
  before = prototypeState();
});

let documents = 0;

function check(raw: unknown): ValidationResult {
  documents++;
  const started = performance.now();
  let result: ValidationResult | undefined;
  expect(() => (result = validateGraph(raw, registry))).not.toThrow();
  const elapsed = performance.now() - started;
  expect(elapsed, "validateGraph took too long").toBeLessThan(MAX_MS);
  if (!result!.ok) {
    expect(result!.problems.length).toBeGreaterThan(0);
    for (const problem of result!.problems) checkProblem(raw, problem);
  }
  return result!;
}

function checkProblem(raw: unknown, problem: ValidationResult["problems"][number]) {
  const where = JSON.stringify(problem).slice(0, 500);
  expect(typeof problem.path === "string" && problem.path.length > 0, `path in ${where}`).toBe(true);
  expect(typeof problem.message === "string" && problem.message.trim().length > 0, `message in ${where}`).toBe(true);
  expect(problem.message, "the validator crashed and reported its own exception").not.toMatch(/could not be checked/);
  const match = /^(nodes|edges)\.(\d+)(\.|$)/.exec(problem.path);
  if (!match) return;
  const named = match[1] === "nodes" ? problem.nodeId : problem.edgeId;
  expect(typeof named === "string" && named.length > 0, `${match[1] === "nodes" ? "nodeId" : "edgeId"} in ${where}`).toBe(true);
  const list = (raw as Record<string, unknown> | null | undefined)?.[match[1]!];
  const item = Array.isArray(list) ? (list[Number(match[2])] as { id?: unknown } | undefined) : undefined;
  const id = item && typeof item === "object" ? item.id : undefined;
  if (typeof id === "string" && /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(id)) expect(named, `the id at ${match[0]} in ${where}`).toBe(id);
}

describe("validateGraph on hostile documents", () => {
  it("answers anything at all", () => {
    fc.assert(fc.property(anythingArbitrary, (raw) => void check(raw)), { numRuns: RANDOM_DOCUMENTS, seed: SEED });
  });

  it("answers documents shaped almost like a graph", () => {
    fc.assert(fc.property(graphLikeArbitrary, (raw) => void check(raw)), { numRuns: GRAPH_LIKE_DOCUMENTS, seed: SEED + 1 });
  });

  it("answers extremes of depth, size, length and keys", () => {
    for (const make of EXTREMES) expect(check(make()).ok).toBe(false);
  });

  it("reports deep nesting as too deep, however deep", () => {
    for (const make of DEEP) {
      const result = check(make());
      expect.soft(result.problems.map((p) => p.code), JSON.stringify(result.problems).slice(0, 300)).toContain("too_deep");
    }
  });

  it("answers single mutations of valid graphs, and compiles what it accepts", () => {
    fc.assert(
      fc.property(graphArbitrary, mutationArbitrary, (graph, mutation) => {
        const result = check(mutate(graph, mutation));
        if (result.ok) expect(() => compileGraph(result.graph, registry)).not.toThrow();
      }),
      { numRuns: MUTATIONS, seed: SEED + 2 },
    );
  });

  it("keeps valid graphs valid when nodes move and labels change", () => {
    fc.assert(
      fc.property(graphArbitrary, fc.nat(), (graph, seed) => {
        expect(check(graph).ok).toBe(true);
        expect(check(moveAndRelabel(graph, seed)).problems).toEqual([]);
      }),
      { numRuns: HARMLESS_EDITS / 2, seed: SEED + 3 },
    );
  });

  it("checked 10,000 documents and left the prototypes as they were", () => {
    expect(documents).toBe(10_000);
    expect(prototypeState()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});
