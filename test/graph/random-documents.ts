import fc from "fast-check";
import { registry } from "../../nodes/catalog";

// Hostile documents for the validator: anything at all, things shaped almost like a graph,
// and a few extremes (depth, size, length, prototype keys, non-finite numbers).

const POISON_KEYS = ["__proto__", "constructor", "prototype"];
const key = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...POISON_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom("nodes", "edges", "id", "type", "typeVersion", "config", "source", "target", "schemaVersion") },
);

/** Values of every JavaScript shape, not just JSON: Maps, Sets, BigInts, Dates, boxed values, NaN. */
export const anythingArbitrary = fc.anything({
  key,
  maxDepth: 6,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withObjectString: true,
});

const oddNumber = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_SAFE_INTEGER + 2, 1e308), fc.double());
const maybe = <T>(right: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: right }, { weight: 1, arbitrary: anythingArbitrary });
const types = registry.all().map((m) => m.type);
const id = fc.oneof(fc.constantFrom("a", "b", "c", "t1", "n2"), fc.string({ maxLength: 8 }));

const nodeLike = fc.record(
  {
    id: maybe(id),
    type: maybe(fc.constantFrom(...types)),
    typeVersion: maybe(fc.oneof(fc.constant(1), fc.integer(), oddNumber)),
    label: maybe(fc.string()),
    position: maybe(fc.record({ x: oddNumber, y: oddNumber })),
    config: maybe(fc.dictionary(key, anythingArbitrary, { maxKeys: 4 })),
  },
  { requiredKeys: [] },
);

const edgeLike = fc.record(
  {
    id: maybe(id),
    source: maybe(id),
    sourcePort: maybe(fc.constantFrom("out", "error", "true", "item", "done", "approved", "nope")),
    target: maybe(id),
    targetPort: maybe(fc.constantFrom("in", "out")),
  },
  { requiredKeys: [] },
);

/** Almost a graph: the right keys with values of the right or the wrong kind. */
export const graphLikeArbitrary = fc.record(
  {
    schemaVersion: maybe(fc.constantFrom(1, 0, 2)),
    nodes: maybe(fc.array(maybe(nodeLike), { maxLength: 8 })),
    edges: maybe(fc.array(maybe(edgeLike), { maxLength: 10 })),
  },
  { requiredKeys: [] },
);

export function nest(depth: number, leaf: unknown, asArray: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

const node = (i: number, config: unknown = {}) => ({ id: `n${i}`, type: types[i % types.length], typeVersion: 1, position: { x: 0, y: 0 }, config });

/** Fixed extremes, each a document in its own right (built lazily: some are large). */
export const EXTREMES: (() => unknown)[] = [
  () => ({ schemaVersion: 1, nodes: [{ ...node(0), label: "x".repeat(3_000_000) }], edges: [] }),
  () => ({ schemaVersion: 1, nodes: [{ ...node(0), id: "x".repeat(200_000) }], edges: [] }),
  () => ({ schemaVersion: 1, nodes: Array.from({ length: 100_000 }, (_, i) => i), edges: [] }),
  () => ({ schemaVersion: 1, nodes: Array.from({ length: 2_500 }, (_, i) => node(i)), edges: [] }),
  () => ({ schemaVersion: 1, nodes: [node(0)], edges: Array.from({ length: 12_000 }, (_, i) => ({ id: `e${i}`, source: "n0", target: "n0" })) }),
  () => ({ schemaVersion: 1, nodes: [{ ...node(0), position: { x: NaN, y: Infinity } }], edges: [] }),
  () => ({ schemaVersion: Infinity, nodes: [], edges: [] }),
  () => JSON.parse('{"__proto__":{"polluted":1},"schemaVersion":1,"nodes":[],"edges":[]}'),
  () => JSON.parse('{"schemaVersion":1,"nodes":[{"id":"a","type":"x","typeVersion":1,"position":{"x":0,"y":0},"config":{"__proto__":{"polluted":1}}}],"edges":[]}'),
  () => JSON.parse('{"schemaVersion":1,"constructor":{"prototype":{"polluted":1}},"nodes":[],"edges":[]}'),
  () => JSON.parse('{"schemaVersion":1,"nodes":{"__proto__":[]},"edges":[{"prototype":1}]}'),
  () => {
    const cyclic: Record<string, unknown> = { schemaVersion: 1, nodes: [], edges: [] };
    (cyclic.nodes as unknown[]).push(cyclic);
    return cyclic;
  },
  () => Object.create({ schemaVersion: 1, nodes: [], edges: [] }),
  () => new Proxy({}, { ownKeys: () => ["schemaVersion"], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }) }),
  () => [],
  () => "graph",
  () => undefined,
  () => Symbol("graph"),
  () => () => 1,
];

/** Documents nested deeper than any graph needs, from a little to very deep. */
export const DEEP: (() => unknown)[] = [
  () => nest(250, 1, true),
  () => nest(250, "x", false),
  () => ({ schemaVersion: 1, nodes: [node(0, nest(300, {}, false))], edges: [] }),
  () => nest(5_000, null, true),
  () => ({ schemaVersion: 1, nodes: [node(0, nest(20_000, 1, true))], edges: [] }),
];
