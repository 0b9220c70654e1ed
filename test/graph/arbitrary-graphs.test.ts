import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GraphSchema, type Graph } from "../../engine/graph/schema";
import { registry } from "../../nodes/catalog";
import { graphArbitrary } from "./arbitrary-graphs";
import { load } from "./reference-interpreter";

// The generator itself: it covers the whole catalog and builds what SEMANTICS.md calls valid,
// checked here without the validator under test.

const SAMPLE = fc.sample(graphArbitrary, { numRuns: 400, seed: 11 });
const metaOf = (g: Graph, id: string) => {
  const node = g.nodes.find((n) => n.id === id)!;
  return registry.get(node.type, node.typeVersion)!;
};

describe("random graphs", () => {
  it("use every registered node type", () => {
    const used = new Set(SAMPLE.flatMap((g) => g.nodes.map((n) => `${n.type}@${n.typeVersion}`)));
    expect([...used].sort()).toEqual(registry.all().map((m) => `${m.type}@${m.version}`).sort());
  });

  it("have valid documents and configurations", () => {
    for (const g of SAMPLE) {
      expect(GraphSchema.safeParse(g).success).toBe(true);
      for (const node of g.nodes) expect(metaOf(g, node.id).config.safeParse(node.config).success).toBe(true);
    }
  });

  it("reach every node from the trigger, with one edge per port except at forks", () => {
    for (const g of SAMPLE) {
      const program = load(g, registry);
      const seen = new Set<string>();
      const walk = (id: string) => {
        if (seen.has(id)) return;
        seen.add(id);
        for (const port of program.nodes.get(id)!.ports) program.targets(id, port).forEach(walk);
      };
      g.nodes.filter((n) => metaOf(g, n.id).behavior === "trigger").forEach((n) => walk(n.id));
      expect(seen.size).toBe(g.nodes.length);
      for (const edge of g.edges) {
        const many = program.targets(edge.source, edge.sourcePort).length > 1;
        if (many) expect(metaOf(g, edge.source).behavior).toBe("fork");
        expect(program.nodes.get(edge.source)!.ports).toContain(edge.sourcePort);
      }
    }
  });

  it("only cycle through loop nodes", () => {
    for (const g of SAMPLE) {
      const program = load(g, registry);
      // Without its loop nodes a graph must be acyclic (depth-first search finds no back edge).
      const state = new Map<string, "open" | "closed">();
      const visit = (id: string): void => {
        if (program.nodes.get(id)!.meta.behavior === "loop" || state.get(id) === "closed") return;
        expect(state.get(id), `cycle through ${id}`).not.toBe("open");
        state.set(id, "open");
        for (const port of program.nodes.get(id)!.ports) program.targets(id, port).forEach(visit);
        state.set(id, "closed");
      };
      g.nodes.forEach((n) => visit(n.id));
    }
  });

  it("meet every fork's branches at one join", () => {
    let forks = 0;
    for (const g of SAMPLE) {
      const program = load(g, registry);
      for (const node of g.nodes.filter((n) => metaOf(g, n.id).behavior === "fork")) {
        forks++;
        expect(program.joinOf(node.id)).not.toBeNull();
      }
    }
    expect(forks).toBeGreaterThan(50);
  });
});
