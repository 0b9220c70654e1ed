import fc from "fast-check";
import type { Graph } from "../../engine/graph/schema";
import type { AnyNodeMeta } from "../../engine/registry";
import { buildGraph, type Arm, type Block, type GraphSpec, type NodeChoice, type Step } from "./graph-builder";
import { configArbitrary, metasWith, portsOf } from "./node-samples";

// Random VALID workflow graphs, built structurally: a graph is a trigger followed by a block, a
// block is a sequence of steps, and a step is a node whose ports lead on (to the next step,
// to a nested block, or nowhere), a loop with a body that cycles back, a fork whose branches
// meet at a join, or an end. Node types come from the registry by behavior, never by name.

const MAX_DEPTH = 3;

const nonEmpty = (metas: AnyNodeMeta[], what: string) => {
  if (metas.length === 0) throw new Error(`the catalog has no ${what} node type`);
  return metas;
};
const TRIGGERS = nonEmpty(metasWith("trigger"), "trigger");
/** Nodes completing on their ports: tasks (if, switch, transform, …), approvals, delays. */
const STEP_NODES = nonEmpty([...metasWith("task"), ...metasWith("approval"), ...metasWith("delay")], "task");
const LOOPS = metasWith("loop");
const FORKS = metasWith("fork");
const JOINS = metasWith("join");
const ENDS = metasWith("end");

const retryOverride = fc.record(
  { attempts: fc.integer({ min: 1, max: 10 }), initialDelayMs: fc.constantFrom(0, 500), factor: fc.constantFrom(1, 2), timeoutMs: fc.constantFrom(1_000, 60_000) },
  { requiredKeys: [] },
);

function choice(metas: AnyNodeMeta[]): fc.Arbitrary<NodeChoice> {
  return fc.constantFrom(...metas).chain((meta) => {
    const retry = meta.behavior === "task" ? fc.option(retryOverride, { freq: 5, nil: undefined }) : fc.constant(undefined);
    return fc.tuple(configArbitrary(meta), retry).map(([config, r]) => (r ? { meta, config, retry: r } : { meta, config }));
  });
}

/** Nodes with exactly one way out, to gather alternative paths (a merge, or any such task). */
const gatherer = choice(metasWith("task")).filter((c) => portsOf(c.meta, c.config).length === 1);

const PASS: Arm = { kind: "pass" };
const DEAD: Arm = { kind: "dead" };

/** Inside a fork branch no end may appear and every step must leave a way on to the join. */
interface Context {
  depth: number;
  inBranch: boolean;
}

const blocks = new Map<string, fc.Arbitrary<Block>>();

export function blockArbitrary(ctx: Context): fc.Arbitrary<Block> {
  const key = `${ctx.depth}:${ctx.inBranch}`;
  let arb = blocks.get(key);
  if (!arb) {
    const top = ctx.depth === MAX_DEPTH;
    arb = fc.array(stepArbitrary(ctx), { minLength: top ? 2 : 1, maxLength: top ? 5 : 2 });
    blocks.set(key, arb);
  }
  return arb;
}

function armArbitrary(ctx: Context, mayBeDead: boolean): fc.Arbitrary<Arm> {
  const options: fc.WeightedArbitrary<Arm>[] = [{ weight: 6, arbitrary: fc.constant(PASS) }];
  if (mayBeDead) options.push({ weight: 2, arbitrary: fc.constant(DEAD) });
  if (ctx.depth > 0) {
    const inner = blockArbitrary({ ...ctx, depth: ctx.depth - 1 });
    options.push({ weight: 3, arbitrary: inner.map((block): Arm => ({ kind: "block", block })) });
  }
  return fc.oneof(...options);
}

function nodeStep(ctx: Context, metas: AnyNodeMeta[]): fc.Arbitrary<Step> {
  return choice(metas).chain(({ meta, config }) => {
    const ports = portsOf(meta, config);
    // In a branch the first port always leads on, so the branch reaches its join.
    const arms = ports.map((_, i) => armArbitrary(ctx, i > 0 || !ctx.inBranch));
    return fc
      .record({
        arms: fc.tuple(...arms),
        error: meta.errorPort ? armArbitrary(ctx, true) : fc.constant(null),
        merge: ports.length > 1 ? fc.option(gatherer, { freq: 3 }) : fc.constant(null),
      })
      .map(({ arms, error, merge }): Step => ({ kind: "node", meta, config, arms, error, merge }));
  });
}

function loopStep(ctx: Context): fc.Arbitrary<Step> {
  return choice(LOOPS).chain(({ meta, config }) => {
    const bodyPorts = portsOf(meta, config).filter((p) => p !== "done");
    const body = bodyPorts.map(() =>
      fc.oneof({ weight: 1, arbitrary: armArbitrary({ ...ctx, depth: 0 }, true) }, { weight: 4, arbitrary: armArbitrary(ctx, true) }),
    );
    return fc
      .tuple(fc.tuple(...body), fc.boolean())
      .map(([arms, breakOut]): Step => ({ kind: "loop", meta, config, body: arms, breakOut }));
  });
}

function forkStep(ctx: Context): fc.Arbitrary<Step> {
  const inner = blockArbitrary({ depth: ctx.depth - 1, inBranch: true });
  const branch = fc.oneof(
    { weight: 1, arbitrary: fc.constant(PASS) },
    { weight: 6, arbitrary: inner.map((block): Arm => ({ kind: "block", block })) },
  );
  return fc
    .record({ fork: choice(FORKS), join: choice(JOINS), branches: fc.array(branch, { minLength: 1, maxLength: 3 }) })
    .filter(({ branches }) => branches.filter((b) => b.kind === "pass").length <= 1) // two would be the same edge
    .map((s): Step => ({ kind: "fork", ...s }));
}

function stepArbitrary(ctx: Context): fc.Arbitrary<Step> {
  const options: fc.WeightedArbitrary<Step>[] = [{ weight: 8, arbitrary: nodeStep(ctx, STEP_NODES) }];
  if (LOOPS.length > 0) options.push({ weight: 2, arbitrary: loopStep(ctx) });
  if (ctx.depth > 0 && FORKS.length > 0 && JOINS.length > 0) options.push({ weight: 2, arbitrary: forkStep(ctx) });
  if (!ctx.inBranch && ENDS.length > 0) {
    options.push({ weight: 1, arbitrary: choice(ENDS).map((c): Step => ({ kind: "end", ...c })) });
  }
  return fc.oneof(...options);
}

const triggerStep = choice(TRIGGERS).map(
  ({ meta, config }): Step => ({ kind: "node", meta, config, arms: portsOf(meta, config).map(() => PASS), error: null, merge: null }),
);

export const graphSpecArbitrary: fc.Arbitrary<GraphSpec> = fc.record({
  steps: fc
    .tuple(triggerStep, fc.option(blockArbitrary({ depth: MAX_DEPTH, inBranch: false }), { freq: 12 }))
    .map(([trigger, rest]) => [trigger, ...(rest ?? [])]),
  otherTrigger: fc.option(choice(TRIGGERS), { freq: 8 }),
  nodePrefix: fc.constantFrom("n", "node_", "Step-", "x"),
  edgePrefix: fc.constantFrom("e", "edge_", "E-"),
  shuffle: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
});

export const MAX_NODES = 80;

/** A random valid graph with at most MAX_NODES nodes. */
export const graphArbitrary: fc.Arbitrary<Graph> = graphSpecArbitrary.map(buildGraph).filter((g) => g.nodes.length <= MAX_NODES);
