export { createRegistry } from "./create";
export * from "./types";
export * from "./capabilities";
export type * from "./engine-configs";
