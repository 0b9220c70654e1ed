export { createRegistry } from "./create";
export * from "./types";
export * from "./capabilities";
