export { createRegistry } from "./create";
export * from "./types";
export type * from "./engine-configs";
