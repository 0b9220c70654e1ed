import type { RiskLevel } from "./types";

// The configuration of the nodes the engine performs itself (end, delay, approval and form,
// sub-workflow), as the engine reads it after the registry's zod parse. Their schemas live in
// nodes/ with their descriptors and are declared `satisfies z.ZodType<…>` of these types, so a
// schema that stops producing what the engine reads fails to compile there.

export interface EndConfig {
  outcome: "success" | "failure";
  /** The run's output; string values may hold templates. Absent: every node's output. */
  output?: unknown;
}

export interface DelayConfig {
  /** An ISO 8601 duration. */
  duration: string;
}

/** A field of a form, as far as the engine reads it (the packet carries the rest as it is). */
export interface DecisionField {
  name: string;
  type: string;
  default?: unknown;
}

/** An approval's or a form's configuration (behavior "approval"). */
export interface DecisionConfig {
  title: string;
  instructions: string;
  proposal?: unknown;
  risk?: RiskLevel;
  /** An ISO 8601 duration; absent: wait as long as it takes. */
  deadline?: string | undefined;
  onDeadline: "reject" | "approve" | "escalate" | "decline" | "submitDefaults";
  /** A form's fields: the packet carries them, and its proposal is their defaults. */
  fields?: DecisionField[];
}

export interface SubworkflowConfig {
  /** The workflow to run, by slug or id. */
  workflow: string;
  /** The child run's input; string values may hold templates. */
  input: Record<string, unknown>;
}
