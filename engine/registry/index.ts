export { createRegistry } from "./create";
export * from "./types";
