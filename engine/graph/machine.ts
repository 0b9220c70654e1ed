import { assign, createMachine, setup, type MachineSnapshot } from "xstate";
import type { CompiledWorkflow } from "./compile";

// The compiled config comes alive here: the named actions and guards it references. The engine
// drives the machine only through XState's pure initialTransition / transition; the machine
// decides which nodes are active, and executes nothing.

export interface WorkflowContext {
  input: unknown;
  outputs: Record<string, unknown>;
  errors: Record<string, unknown>;
  visits: Record<string, number>;
  /** Per loop node: the pass it is on, 1 at its first entry; back to 0 when it finishes. */
  iterations: Record<string, number>;
  ended: { node: string | null; outcome: "success" | "failure" } | null;
}

export type WorkflowEvent =
  | { type: "START"; node: string; input?: unknown }
  | { type: "NODE.DONE"; node: string; port: string; output?: unknown }
  | { type: "NODE.FAILED"; node: string; error?: unknown }
  | { type: "APPROVE"; node: string; output?: unknown }
  | { type: "EDIT"; node: string; output?: unknown }
  | { type: "REJECT"; node: string; output?: unknown }
  | { type: "WAKE"; node: string };

const definition = setup({
  types: { context: {} as WorkflowContext, events: {} as WorkflowEvent },
  actions: {
    visit: assign({
      visits: ({ context }, params: { node: string }) => ({ ...context.visits, [params.node]: (context.visits[params.node] ?? 0) + 1 }),
    }),
    iterate: assign({
      iterations: ({ context }, params: { node: string }) => ({ ...context.iterations, [params.node]: (context.iterations[params.node] ?? 0) + 1 }),
    }),
    resetLoop: assign({ iterations: ({ context }, params: { node: string }) => ({ ...context.iterations, [params.node]: 0 }) }),
    recordInput: assign({ input: ({ event }) => (event.type === "START" ? (event.input ?? null) : null) }),
    recordOutput: assign({
      outputs: ({ context, event }, params: { node: string }) => ({ ...context.outputs, [params.node]: "output" in event ? (event.output ?? null) : null }),
    }),
    recordError: assign({
      errors: ({ context, event }, params: { node: string }) => ({ ...context.errors, [params.node]: "error" in event ? (event.error ?? null) : null }),
    }),
    recordEnd: assign({ ended: (_, params: { node: string | null; outcome: "success" | "failure" }) => ({ node: params.node, outcome: params.outcome }) }),
  },
  guards: {
    isNode: ({ event }, params: { node: string }) => "node" in event && event.node === params.node,
    completed: ({ event }, params: { node: string; port: string }) =>
      event.type === "NODE.DONE" && event.node === params.node && event.port === params.port,
  },
});

export function createWorkflowMachine(compiled: CompiledWorkflow) {
  // The config is plain JSON by construction; XState's config type cannot see that.
  return definition.createMachine(compiled.machine as unknown as Parameters<typeof createMachine>[0] as never);
}

export type WorkflowMachine = ReturnType<typeof createWorkflowMachine>;
export type WorkflowSnapshot = MachineSnapshot<WorkflowContext, WorkflowEvent, never, never, string, never, never, never>;

const NODE_TAG = "node:";

/** What these helpers read from any snapshot of a workflow machine. */
export interface SnapshotLike {
  status: string;
  tags: Set<string>;
  context: unknown;
}

/** The nodes active in a snapshot, sorted. */
export function activeNodes(snapshot: SnapshotLike): string[] {
  if (snapshot.status !== "active") return [];
  return [...snapshot.tags].filter((t) => t.startsWith(NODE_TAG)).map((t) => t.slice(NODE_TAG.length)).sort();
}

export function visits(snapshot: SnapshotLike): Record<string, number> {
  return { ...(snapshot.context as WorkflowContext).visits };
}

export type RunStatus = { status: "active" } | { status: "done"; end: string | null; outcome: "success" | "failure" };

export function runStatus(snapshot: SnapshotLike): RunStatus {
  if (snapshot.status !== "done") return { status: "active" };
  const ended = (snapshot.context as WorkflowContext).ended;
  return { status: "done", end: ended?.node ?? null, outcome: ended?.outcome ?? "success" };
}
