import type { CredentialResolver, NodeExecutor, NodeRegistry, StepCapabilities } from "../registry";
import type { BudgetGate } from "./budget";
import { EffectRunner } from "./effect-runner";
import { planStep, planWorld, type PlanEvent, type PlanState, type ProcessOutcome } from "./step-planner";
import { LeaseLostError, type LoadedRun, type RunStore } from "./store";

export type { ProcessOutcome } from "./step-planner";

// One claimed run, advanced step by step: the planner decides (step-planner.ts), the runner
// performs (effect-runner.ts), and what the runner finds is the planner's next event.

export interface Clock {
  now(): Date;
}

/** Test seams for crash injection: each runs at the named point of an executor step. */
export interface StepHooks {
  beforeEffect?(key: string): void | Promise<void>;
  afterEffect?(key: string): void | Promise<void>;
  afterCommit?(key: string): void | Promise<void>;
}

export interface RuntimeDeps {
  store: RunStore;
  registry: NodeRegistry;
  executors: ReadonlyMap<string, NodeExecutor>;
  clock: Clock;
  random?: () => number;
  hooks?: StepHooks;
  /** Steps one claim may take before the run goes back to the queue, so others get a turn. */
  stepBudget?: number;
  /** Base URL for links in notifications. */
  publicUrl?: string;
  /** Opens credentials for steps; what it hands out is redacted from everything stored. */
  credentials?: CredentialResolver;
  /** What executors may use besides credentials (http, llm, mail, memory, records…), on every step's context. */
  capabilities?: Partial<StepCapabilities>;
  /** Holds back steps that would spend past a budget. */
  budget?: BudgetGate;
}

/**
 * Advances a claimed run until it finishes, waits, sleeps or has used its step budget.
 * `signal` aborts in-flight work when the lease is lost (cancel, pause, reclaim); `shouldStop`
 * asks it to hand the run back after the current step (graceful shutdown).
 */
export async function processRun(
  deps: RuntimeDeps,
  loaded: LoadedRun,
  workerId: string,
  signal: AbortSignal,
  shouldStop: () => boolean = () => false,
): Promise<ProcessOutcome> {
  const world = planWorld(loaded, deps.registry, workerId);
  const budget = deps.stepBudget ?? 200;
  let steps = 0;
  // A ledger row is written ahead with a commit only when the claim will take the next step.
  const goesOn = () => !signal.aborted && !shouldStop() && steps < budget && !(world.deadline && deps.clock.now() >= world.deadline);
  const runner = new EffectRunner(deps, world, signal, goesOn);
  let state: PlanState | null = null;
  let event: PlanEvent = { type: "begin" };
  try {
    for (;;) {
      const plan = await planStep(world, state, event);
      state = plan.state;
      const done = await runner.perform(plan.effects, state.snapshot);
      if (done.next === "stop") return done.outcome;
      if (done.next === "event") {
        event = done.event;
        continue;
      }
      if (signal.aborted) return "lost";
      event = shouldStop() || steps >= budget ? { type: "yield" } : { type: "tick", now: deps.clock.now() };
      steps++;
    }
  } catch (error) {
    if (error instanceof LeaseLostError) return "lost";
    throw error;
  }
}
