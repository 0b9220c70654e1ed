import { transition } from "xstate";
import { ConflictError, ValidationError } from "../errors";
import { activeNodes, createWorkflowMachine } from "../graph/machine";
import type { RuntimeDeps } from "./process-run";

/**
 * Completes a node the operator decided to skip (from a dead letter) with the output they give,
 * as if it had finished on `port`, and queues the run again. The run is taken under a lease
 * like a worker would, so nothing else moves it meanwhile.
 */
export async function skipNode(deps: Pick<RuntimeDeps, "store" | "clock">, input: { runId: string; nodeId: string; port: string; output: unknown; actor: string }): Promise<void> {
  const owner = `operator:${input.actor}`;
  const loaded = await deps.store.claimSpecific(input.runId, owner, ["dead"], deps.clock.now(), 30_000);
  if (!loaded) throw new ConflictError("Only a dead run's step can be skipped.");
  try {
    const machine = createWorkflowMachine(loaded.compiled);
    const snapshot = machine.resolveState(loaded.checkpoint!.snapshot as never);
    if (!activeNodes(snapshot).includes(input.nodeId)) throw new ValidationError(`nodeId: '${input.nodeId}' is not where the run stopped`);
    const ports = [...new Set(loaded.graph.edges.filter((e) => e.source === input.nodeId).map((e) => e.sourcePort))];
    const event = { type: "NODE.DONE" as const, node: input.nodeId, port: input.port, output: input.output };
    const [next] = transition(machine, snapshot, event);
    if (JSON.stringify(next.value) === JSON.stringify(snapshot.value) && next.status === snapshot.status) {
      throw new ValidationError(`port: '${input.port}' is not an output of '${input.nodeId}'${ports.length ? ` (connected: ${ports.join(", ")})` : ""}`);
    }
    await deps.store.commit({
      runId: input.runId,
      workerId: owner,
      firstSeq: loaded.nextSeq,
      events: [{ type: "node.skipped", nodeId: input.nodeId, payload: { by: input.actor, port: input.port, machineEvent: event } }],
      checkpoint: { snapshot: machine.getPersistedSnapshot(next), machineHash: loaded.compiled.hash },
      run: { status: "queued", error: null },
      release: true,
    });
  } catch (error) {
    // Put it back as it was.
    await deps.store.commit({ runId: input.runId, workerId: owner, firstSeq: 0, events: [], checkpoint: null, run: { status: "dead" }, release: true }).catch(() => undefined);
    throw error;
  }
}
