import { errorLine, silentLogger, watchDependency, type DependencyWatch, type Logger } from "../log";
import { processRun, type ProcessOutcome, type RuntimeDeps } from "./process-run";

// A worker claims runnable runs with a lease, advances each, heartbeats while it works, and on
// stop finishes the step in hand and gives the run back. Many workers (processes) may share one
// database; the claim statement makes sure no run is worked by two.

export interface WorkerOptions {
  id: string;
  concurrency?: number;
  leaseMs?: number;
  /** How long to sleep when there is nothing to do. */
  idleMs?: number;
  onOutcome?(runId: string, outcome: ProcessOutcome): void;
  onError?(error: unknown, runId?: string): void;
  /** Where the worker says what happens (run ids included); silent by default. */
  log?: Logger;
  /** The database's watch, when the process shares one among its loops (one "down" line, not one per loop). */
  databaseWatch?: DependencyWatch;
}

export class Worker {
  private stopping = false;
  private readonly inFlight = new Map<string, AbortController>();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly log: Logger;
  // Claiming is the worker's first touch of the database each round: when it fails the
  // database is down, said once, and the loop backs off instead of retrying every idle tick.
  private readonly database: DependencyWatch;

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly options: WorkerOptions,
  ) {
    this.log = (options.log ?? silentLogger).child({ worker: options.id });
    this.database = options.databaseWatch ?? watchDependency(this.log, "the database", { baseMs: options.idleMs ?? 500 });
  }

  get leaseMs() {
    return this.options.leaseMs ?? 30_000;
  }

  /** A claim for a run created for this worker (NewRun.claimedBy), then worked with runNow(…, true). */
  claim(): { workerId: string; now: Date; leaseMs: number } {
    return { workerId: this.options.id, now: this.deps.clock.now(), leaseMs: this.leaseMs };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Nudges an idle worker to look for work now (after starting a run, deciding an approval). */
  poke(): void {
    this.wake?.();
  }

  /** Stops claiming, lets each run finish its current step and hands it back, then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.loop;
  }

  /** Processes everything runnable now, then returns (for tests and `keel run --wait`). */
  async drain(maxRuns = 10_000): Promise<number> {
    let processed = 0;
    while (processed < maxRuns) {
      const run = await this.deps.store.claimRun(this.options.id, this.deps.clock.now(), this.leaseMs);
      if (!run) return processed;
      await this.work(run.run.id, run);
      processed++;
    }
    return processed;
  }

  private async run(): Promise<void> {
    const concurrency = this.options.concurrency ?? 4;
    const running = new Set<Promise<void>>();
    while (!this.stopping) {
      let backoffMs: number | undefined;
      while (running.size < concurrency && !this.stopping) {
        let run;
        try {
          run = await this.deps.store.claimRun(this.options.id, this.deps.clock.now(), this.leaseMs);
          this.database.ok();
        } catch (error) {
          backoffMs = this.database.failed(error);
          break;
        }
        if (!run) break;
        // Our own run whose lease ran out while a heartbeat was late (a loaded machine): the
        // claim renewed the lease, and the task still working it goes on. A second task would
        // run the same step again, and both would pass the lease check under this worker's id.
        if (this.inFlight.has(run.run.id)) continue;
        const task = this.work(run.run.id, run).finally(() => running.delete(task));
        running.add(task);
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs ?? (running.size >= concurrency ? 50 : (this.options.idleMs ?? 500)));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
        if (running.size > 0) void Promise.race(running).then(() => this.wake?.());
      });
      this.wake = undefined;
    }
    await Promise.all(running);
  }

  /**
   * Works one queued run here and now, until it settles or `timeoutMs` pass (then it goes back
   * to the queue after the step in hand): a synchronous webhook answers from its own process instead
   * of waiting for a worker to notice the run. Null when another worker already has it.
   * `claimed`: the run was created claimed by this worker (NewRun.claimedBy); it is only loaded.
   */
  async runNow(runId: string, timeoutMs: number, claimed = false): Promise<ProcessOutcome | null> {
    const until = this.deps.clock.now().getTime() + timeoutMs;
    const run = claimed ? await this.deps.store.loadRun(runId) : await this.deps.store.claimSpecific(runId, this.options.id, ["queued"], this.deps.clock.now(), this.leaseMs);
    if (!run || run.run.leaseOwner !== this.options.id) return null;
    let outcome: ProcessOutcome | null = null;
    await this.work(runId, run, () => this.stopping || this.deps.clock.now().getTime() >= until, (o) => (outcome = o));
    return outcome;
  }

  private async work(runId: string, run: Parameters<typeof processRun>[1], shouldStop = () => this.stopping, onOutcome?: (outcome: ProcessOutcome) => void): Promise<void> {
    const controller = new AbortController();
    this.inFlight.set(runId, controller);
    const heartbeat = setInterval(() => {
      void this.deps.store.heartbeat(runId, this.options.id, new Date(this.deps.clock.now().getTime() + this.leaseMs)).then(
        (ours) => {
          if (!ours) controller.abort(new Error("lease lost (cancelled, paused or reclaimed)"));
        },
        (error: unknown) => this.options.onError?.(error, runId),
      );
    }, Math.max(100, this.leaseMs / 3));
    try {
      const outcome = await processRun(this.deps, run, this.options.id, controller.signal, shouldStop);
      onOutcome?.(outcome);
      this.options.onOutcome?.(runId, outcome);
    } catch (error) {
      this.log.warn({ runId, error: errorLine(error) }, "run interrupted; handed back to the queue");
      this.options.onError?.(error, runId);
      // Hand it back rather than sit on the lease until it expires.
      await this.deps.store.release(runId, this.options.id).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
      this.inFlight.delete(runId);
    }
  }
}
