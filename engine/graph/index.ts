export { compileGraph, COMPILER_VERSION, type CompiledWorkflow, type MachineConfig } from "./compile";
export { graphJsonSchema } from "./json-schema";
export { activeNodes, createWorkflowMachine, runStatus, visits, type RunStatus, type WorkflowContext, type WorkflowEvent } from "./machine";
export type { Problem, ProblemCode } from "./problems";
export { emptyGraph, GRAPH_SCHEMA_VERSION, GraphSchema, type Graph, type GraphEdge, type GraphNode } from "./schema";
export { validateGraph, type ValidationResult } from "./validate";
export { createValidationCache, type ValidationCache } from "./validation-cache";
