import type { CompiledWorkflow } from "../graph/compile";
import type { Graph } from "../graph/schema";
import type { RunStatus } from "./run-status";

export type { RunStatus } from "./run-status";

// Everything the runtime reads and writes, as one interface; PrismaRunStore implements it for
// SQLite and Postgres alike, and one conformance suite runs against both.



export interface RunRecord {
  id: string;
  workflowId: string;
  versionId: string;
  status: RunStatus;
  input: unknown;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  wakeAt: Date | null;
  parentRunId: string | null;
  /** The trigger node to start at; null: the first trigger of the graph. */
  triggerNodeId: string | null;
}

export interface NewRun {
  workflowId: string;
  versionId: string;
  input: unknown;
  idempotencyKey?: string | undefined;
  trigger: string;
  triggerNodeId?: string | undefined;
  parentRunId?: string | undefined;
  parentNodeId?: string | undefined;
  /** Who started it, written as the run's "run.start" audit entry in the same transaction. */
  audit?: { actor: string; detail: Record<string, unknown> } | undefined;
  /**
   * Created already claimed by this worker (running, under its lease) rather than queued: a
   * synchronous webhook's run, worked by the process whose caller waits, never by another.
   */
  claimedBy?: { workerId: string; now: Date; leaseMs: number } | undefined;
  /**
   * The webhook delivery that started the run, written in the run's own transaction so both
   * commit or neither: a new row with this id, or (`existing`) an earlier delivery with the same
   * Idempotency-Key that started no run, now linked to this one. Not written for an existing run.
   */
  delivery?: { id: string; existing: boolean; authenticatedBy: string; idempotencyKey: string | null; body: unknown; contentType: string } | undefined;
}

/** The workflow a start names, with its current version (and that version's graph when asked). */
export interface StartTarget {
  id: string;
  name: string;
  versionId: string | null;
  graph: Graph | null;
}

export interface LoadedRun {
  run: RunRecord;
  graph: Graph;
  compiled: CompiledWorkflow;
  checkpoint: { seq: number; snapshot: unknown } | null;
  /** The next free event sequence number. */
  nextSeq: number;
  startedAt: Date | null;
  /** The workflow's maximum run duration, when it has one. */
  maxRunMs: number | null;
  /** Config edits for dead steps the operator retried with edits, by node. */
  stepOverrides: Record<string, { visit: number; config: Record<string, unknown>; generation: number }>;
}

export interface EffectRecord {
  key: string;
  status: "started" | "completed" | "failed";
  result: unknown;
  attempts: number;
}

export interface NewEvent {
  type: string;
  nodeId?: string | null;
  payload?: unknown;
}

/** What one committed step writes, all in one transaction. */
export interface StepCommit {
  runId: string;
  workerId: string;
  events: NewEvent[];
  /** The first of `events` gets this seq; the checkpoint gets the last one's. */
  firstSeq: number;
  checkpoint: { snapshot: unknown; machineHash: string } | null;
  /**
   * The step's ledger row settled. `attemptNotCounted`: the attempt was held back by a rate
   * limit, so it is taken back. `countAttempt`: the row was written ahead (`begin` with
   * `counted: false`), so this outcome counts the attempt.
   */
  effect?: { key: string; status: "completed" | "failed"; result?: unknown; error?: unknown; costTokens?: number; costUnits?: number; attemptNotCounted?: true; countAttempt?: true };
  /**
   * The next step's ledger row, begun in the same transaction (as `beginEffect` does; at most one
   * step of a commit has one). `counted: false` writes it ahead of the attempt: a new row gets 0
   * attempts and an existing one keeps its count. `commit` returns the row.
   */
  begin?: { key: string; runId: string; nodeId: string; visit: number; nodeType: string; request: unknown; counted: boolean };
  run?: {
    status?: RunStatus;
    output?: unknown;
    error?: unknown;
    wakeAt?: Date | null;
    finished?: boolean;
    costTokens?: number;
    costUnits?: number;
  };
  /** Release the lease in the same transaction (the run waits, sleeps or finished). */
  release?: boolean;
  /** A run to queue if it waits (a parent whose sub-workflow just finished). */
  wakeRun?: string | null;
  /** `id` when the step links to the approval before it exists (its notification does). */
  approval?: { id?: string; nodeId: string; visit: number; packet: unknown; risk: string; deadlineAt: Date | null };
  timer?: { key: string; kind: "delay" | "retry" | "approval_deadline" | "notification"; nodeId: string; fireAt: Date };
  deadLetter?: { nodeId: string; packet: unknown };
  /** A pending approval settled by its deadline. */
  approvalUpdate?: { id: string; status: "approved" | "rejected" | "expired"; decidedBy: string };
  /** In-app notifications to the operator, written with the step (`id` when chosen before the commit). */
  notifications?: { id?: string; kind: string; title: string; body: string; link: string | null }[];
}

export interface ApprovalRecord {
  id: string;
  runId: string;
  nodeId: string;
  visit: number;
  status: "pending" | "approved" | "rejected" | "expired";
  editedData: unknown;
  packet: unknown;
  decidedBy: string | null;
  deadlineAt: Date | null;
}

export interface RunStore {
  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
  /** The workflow named by id or slug (archived ones only when asked), for starting a run of it. */
  startTarget(ref: string, options: { archived: boolean; graph: boolean }): Promise<StartTarget | null>;
  /** Atomically takes the next runnable run (queued, due, or with an expired lease); none while the engine is paused. */
  claimRun(workerId: string, now: Date, leaseMs: number): Promise<LoadedRun | null>;
  /** Takes one particular run if it is in one of the given statuses (operator actions on dead runs). */
  claimSpecific(runId: string, workerId: string, statuses: RunStatus[], now: Date, leaseMs: number): Promise<LoadedRun | null>;
  /** Extends the lease; false when the run is no longer this worker's (cancelled, paused, reclaimed). */
  heartbeat(runId: string, workerId: string, leaseExpiresAt: Date): Promise<boolean>;
  loadRun(runId: string): Promise<LoadedRun>;
  effect(key: string): Promise<EffectRecord | null>;
  /**
   * Records an attempt as started before the effect runs (attempts + 1 when it existed); a
   * completed effect is returned as it is, untouched, for its result to be replayed.
   */
  beginEffect(input: { key: string; runId: string; nodeId: string; visit: number; nodeType: string; request: unknown }): Promise<EffectRecord>;
  /**
   * Commits steps of one run in one transaction, in order, under one lease check; throws
   * LeaseLostError (and writes nothing) when the run is no longer this worker's. Returns the
   * ledger row a step's `begin` wrote (a completed one as it is, for its result to be replayed).
   */
  commit(...steps: StepCommit[]): Promise<EffectRecord | null>;
  /** Gives the lease back without changing anything else (graceful shutdown). */
  release(runId: string, workerId: string): Promise<void>;
  approval(runId: string, nodeId: string, visit: number): Promise<ApprovalRecord | null>;
  /** Marks a delay timer fired; true only for the first caller. */
  fireTimer(key: string, now: Date): Promise<boolean>;
  timer(key: string): Promise<{ fireAt: Date; firedAt: Date | null } | null>;
  /**
   * Starts (once: the key is the child's idempotency key) a run of another workflow's current
   * version as a child of this run; null when that workflow or a published version is missing.
   */
  startChildRun(input: { parentRunId: string; parentNodeId: string; workflow: string; input: unknown; key: string }): Promise<{ id: string } | null>;
  /** The child run started under this key, with what the parent needs from it. */
  childRun(key: string): Promise<{ id: string; status: RunStatus; output: unknown; error: unknown } | null>;
  /** Queues a waiting run (true when it did). */
  requeue(runId: string): Promise<boolean>;
  /** Queues a waiting run that has a decided approval it has not acted on yet; true if it did. */
  requeueIfDecided(runId: string): Promise<boolean>;
  /** The type of the latest event about a node in a run (null: none yet). */
  lastNodeEvent(runId: string, nodeId: string): Promise<string | null>;
  /** The node.failed events of a node in a run, oldest first, for dead-letter packets. */
  nodeFailures(runId: string, nodeId: string): Promise<{ attempt: number; error: unknown }[]>;
}

export class LeaseLostError extends Error {
  constructor(runId: string) {
    super(`run ${runId} is no longer leased to this worker`);
    this.name = "LeaseLostError";
  }
}
