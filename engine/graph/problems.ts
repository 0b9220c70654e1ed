// A validation problem: which node or edge, the exact path, a code for programs and a sentence
// for the operator. Validation returns all of them at once and never throws.
export interface Problem {
  nodeId?: string;
  edgeId?: string;
  /** Dotted path into the graph document, e.g. `nodes.3.config.condition`. */
  path: string;
  code: ProblemCode;
  message: string;
}

export type ProblemCode =
  | "too_large"
  | "too_deep"
  | "forbidden_key"
  | "unknown_key"
  | "invalid_format"
  | "unsupported_schema_version"
  | "duplicate_node_id"
  | "duplicate_edge_id"
  | "unknown_node_type"
  | "unknown_node_version"
  | "invalid_config"
  | "dangling_edge"
  | "unknown_port"
  | "duplicate_edge"
  | "port_has_many_edges"
  | "missing_trigger"
  | "edge_into_trigger"
  | "unreachable_node"
  | "loop_without_guard"
  | "join_without_fork"
  | "join_incomplete"
  | "branches_do_not_meet"
  | "branches_share_nodes"
  | "edge_leaves_branch"
  | "not_allowed_in_branch"
  | "invalid_expression";
