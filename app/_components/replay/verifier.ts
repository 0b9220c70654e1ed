import { initialTransition, transition } from "xstate";
import type { CompiledWorkflow } from "../../../engine/graph/compile";
import { createWorkflowMachine, type WorkflowEvent } from "../../../engine/graph/machine";
import { editedInputOf, withInput } from "../../../engine/runtime/replay";

// Checks a run's history against its checkpoints: the event log is replayed through the
// compiled machine (each event that moved the machine carries it as `payload.machineEvent`) and
// the persisted snapshot after every event that has a checkpoint must equal the stored one.
// Fed in pages, as the replay loads them; reports mismatches as it finds them. Runs in a Web
// Worker (verify.worker.ts) and, being plain code, in tests and benchmarks as well.

export interface VerifyEvent {
  seq: number;
  type: string;
  payload: unknown;
}

export interface Mismatch {
  seq: number;
  /** Top-level keys of the snapshot that differ (value, context.outputs, …). */
  paths: string[];
}

type Machine = ReturnType<typeof createWorkflowMachine>;
type Snapshot = ReturnType<typeof initialTransition<Machine>>[0];

/** JSON with object keys sorted, so key order in the database does not count as a difference. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function differingPaths(expected: unknown, stored: unknown): string[] {
  const a = (expected ?? {}) as Record<string, unknown>;
  const b = (stored ?? {}) as Record<string, unknown>;
  const paths: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (key === "context" && a.context && b.context) {
      const ca = a.context as Record<string, unknown>;
      const cb = b.context as Record<string, unknown>;
      for (const k of [...new Set([...Object.keys(ca), ...Object.keys(cb)])].sort()) if (canonical(ca[k]) !== canonical(cb[k])) paths.push(`context.${k}`);
    } else if (canonical(a[key]) !== canonical(b[key])) paths.push(key);
  }
  return paths.length ? paths : ["snapshot"];
}

export class ReplayVerifier {
  private readonly machine: Machine;
  private snapshot: Snapshot;
  private readonly checkpoints = new Map<number, unknown>();
  /** Checkpoints are known up to this seq (Infinity once all pages arrived). */
  private checkpointsThrough = 0;
  private readonly pending: VerifyEvent[] = [];
  private started = false;
  verifiedThrough = 0;
  checked = 0;
  readonly mismatches: Mismatch[] = [];

  constructor(compiled: CompiledWorkflow) {
    this.machine = createWorkflowMachine(compiled);
    [this.snapshot] = initialTransition(this.machine);
  }

  /**
   * Stored checkpoints, and how far they are known: every checkpoint at or before `through` has
   * been given (Infinity: all of them). Events beyond that wait, so none is judged half-known.
   */
  addCheckpoints(page: readonly { seq: number; snapshot: unknown }[], through: number): Mismatch[] {
    for (const c of page) this.checkpoints.set(c.seq, c.snapshot);
    this.checkpointsThrough = Math.max(this.checkpointsThrough, through, page.at(-1)?.seq ?? 0);
    return this.drain();
  }

  addEvents(page: readonly VerifyEvent[]): Mismatch[] {
    this.pending.push(...page);
    return this.drain();
  }

  /** Replays every held event whose checkpoint (if any) is known; returns the new mismatches. */
  private drain(): Mismatch[] {
    const found: Mismatch[] = [];
    let i = 0;
    for (; i < this.pending.length && this.pending[i]!.seq <= this.checkpointsThrough; i++) {
      const event = this.pending[i]!;
      const stored = this.checkpoints.get(event.seq);
      const machineEvent = (event.payload as { machineEvent?: WorkflowEvent } | null)?.machineEvent;
      if (!this.started && event.type === "run.forked" && stored !== undefined) {
        // A fork starts from the checkpoint it was seeded with, not from the machine's start.
        this.snapshot = this.machine.resolveState(stored as never);
      } else if (machineEvent) {
        [this.snapshot] = transition(this.machine, this.snapshot, machineEvent);
      }
      // A dead letter retried with edited input: the store put the input into the run's context.
      const edited = editedInputOf(event);
      if (edited) this.snapshot = this.machine.resolveState(withInput(this.machine.getPersistedSnapshot(this.snapshot) as { context?: unknown }, edited.input) as never);
      this.started = true;
      if (stored !== undefined) {
        this.checked++;
        const expected = this.machine.getPersistedSnapshot(this.snapshot);
        if (canonical(expected) !== canonical(stored)) {
          const mismatch = { seq: event.seq, paths: differingPaths(expected, stored) };
          this.mismatches.push(mismatch);
          found.push(mismatch);
        }
        this.checkpoints.delete(event.seq);
      }
      this.verifiedThrough = event.seq;
    }
    this.pending.splice(0, i);
    return found;
  }
}
