import { json, type Db } from "../../engine/store";

// What an operator action writes beside a run that no worker holds: an event at the next seq,
// and, when the run is cancelled, a wake-up for a parent waiting on it as a sub-workflow.

type Tx = Pick<Db, "run" | "runEvent">;

export async function appendRunEvent(tx: Tx, runId: string, type: string, payload: unknown, nodeId: string | null = null): Promise<void> {
  const last = await tx.runEvent.findFirst({ where: { runId }, orderBy: { seq: "desc" }, select: { seq: true } });
  await tx.runEvent.create({ data: { runId, seq: (last?.seq ?? 0) + 1, type, nodeId, payload: json(payload) } });
}

export async function wakeWaitingParent(tx: Tx, runId: string): Promise<void> {
  const { parentRunId } = await tx.run.findUniqueOrThrow({ where: { id: runId }, select: { parentRunId: true } });
  if (parentRunId) await tx.run.updateMany({ where: { id: parentRunId, status: "waiting" }, data: { status: "queued", wakeAt: null } });
}
