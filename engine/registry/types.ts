import type { z } from "zod";
import type { StepCapabilities, StepWrites } from "./capabilities";

// What the engine needs to know about a node type. The descriptors themselves live in nodes/
// and reach the engine as a parameter (a NodeRegistry); the engine never imports nodes/.

export type NodeCategory = "trigger" | "logic" | "human" | "adapter";

/**
 * How the compiler turns a node into states, and how the engine drives it:
 * - trigger: where a run starts; completes at once with the run input.
 * - task: the engine runs its executor; it completes on one of its ports, or fails.
 * - approval: waits for APPROVE / EDIT (its first output port) or REJECT (its second) from a person.
 * - delay: sleeps until the engine's durable timer sends WAKE.
 * - fork: starts its outgoing branches in parallel; join: waits for all of them.
 * - loop: a task that guards a cycle (every cycle must pass through one).
 * - end: finishes the run, with success or failure.
 */
export type NodeBehavior = "trigger" | "task" | "approval" | "delay" | "fork" | "join" | "loop" | "end";

export interface PortSpec {
  id: string;
  label: string;
}

export type RiskLevel = "low" | "medium" | "high";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Exponential factor between attempts. */
  factor: number;
  /** Per-attempt time limit. */
  timeoutMs: number;
}

export interface ExpressionField {
  /** Dotted path inside the node's config, for error messages. */
  path: string;
  source: string;
  /** jsonata: the whole string is a JSONata expression; template: a string with {{ … }} parts. */
  kind: "jsonata" | "template";
}

/** The browser-safe half of a node type: everything but how it executes. */
export interface NodeMeta<Config = unknown> {
  type: string;
  version: number;
  title: string;
  category: NodeCategory;
  description: string;
  /** A short name of an icon in the palette's set. */
  icon: string;
  behavior: NodeBehavior;
  config: z.ZodType<Config>;
  inputs: PortSpec[];
  /** Output ports; some depend on the configuration (a switch's cases). */
  outputs: (config: Config) => PortSpec[];
  /** Whether failures may be routed through an `error` edge. */
  errorPort: boolean;
  retry: RetryPolicy;
  risk: RiskLevel;
  /** The expressions in a configuration, to parse at validation time. */
  expressions: (config: Config) => ExpressionField[];
  /**
   * Who performs the node: its executor (nodes/executors.ts), or the engine itself (triggers,
   * approvals, delays, parallel, end, sub-workflows: they wait for people, timers or runs).
   */
  execution: "executor" | "engine";
  /**
   * What running it touches. "none": a pure function of the run's data (logic, data, loops):
   * it gets no ledger row, and consecutive pure steps commit together, because running one
   * again after a crash gives the same result and touches nothing. "external": everything
   * else (HTTP, email, records, memory…), recorded in the effect ledger before it runs.
   */
  effects: "none" | "external";
  /**
   * What the server must provide for this node to run (e.g. "llm": an OpenAI-compatible
   * endpoint). Publishing refuses a graph whose requirements this server lacks.
   */
  requires?: readonly string[];
  /**
   * Whether a step with this configuration spends money (an LLM call, a paid API). Budgets
   * hold such steps once a cap is reached; absent, the node never spends.
   */
  spends?: (config: Config) => boolean;
  /**
   * A branch on a capability: this node leaves through `port` only when the server has
   * `capability`. Nodes that require the capability and are reachable only through that port
   * have a path around them, so publishing accepts them where the capability is missing.
   */
  guards?: { capability: string; port: string };
  /** Older versions stay registered so old workflows keep running, hidden from the palette. */
  deprecated?: boolean;
}

/** What a credential resolver returns: the opened secret and the strings in it that are sensitive. */
export interface ResolvedCredential {
  kind: string;
  secret: Record<string, unknown>;
  /** The sensitive strings, including derived forms only the resolver knows (user:password). */
  sensitive: string[];
}

/** Opens a named credential of one of the given kinds for a step (provided by the server). */
export type CredentialResolver = (name: string, kinds: readonly string[]) => Promise<ResolvedCredential>;

/**
 * What an executor gets for one attempt of one step: its config, the run's data, and the
 * capabilities the server provides (capabilities.ts; absent where a process provides none).
 */
export interface ExecutionContext<Config = unknown> extends Partial<StepCapabilities> {
  runId: string;
  nodeId: string;
  /** 1 on the first entry of this node in the run, 2 on the second (loops), … */
  visit: number;
  /** For loop nodes: the pass this is, 1 on entering the loop, counting afresh each time it is entered anew. */
  iteration: number;
  /** `runId:nodeId:visit`: forwarded to the outside world so it can drop repeats. */
  idempotencyKey: string;
  config: Config;
  /** What expressions see: the run input and the latest output of every node so far. */
  data: { input: unknown; outputs: Record<string, unknown> };
  signal: AbortSignal;
  /**
   * Opens a credential. The engine records every secret handed out this way and redacts it
   * (and its encoded forms) from the step's output and error before anything is stored.
   */
  credential?: CredentialResolver;
  /** Rows that commit with this step's outcome (see StepWrites); absent outside the engine's runs (backtests). */
  writes?: StepWrites;
}

export interface StepResult {
  /** The output port the node completed on. */
  port: string;
  output: unknown;
  /** What the step cost (LLM tokens, metered API units), summed per run and per workflow. */
  cost?: { tokens?: number; units?: number };
}

export type NodeExecutor<Config = unknown> = (ctx: ExecutionContext<Config>) => Promise<StepResult>;

export type AnyNodeMeta = NodeMeta<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface NodeRegistry {
  get(type: string, version: number): AnyNodeMeta | undefined;
  /** The newest non-deprecated version of a type, for the palette. */
  latest(type: string): AnyNodeMeta | undefined;
  versions(type: string): number[];
  all(): AnyNodeMeta[];
}

export const ERROR_PORT: PortSpec = { id: "error", label: "on error" };
