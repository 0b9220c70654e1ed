import { assertWithinLimit } from "./limits";

// Apart from limits.ts because of Buffer: the editor validates graphs in the browser and
// imports limits.ts, and a bundler that meets `Buffer` there adds a Buffer polyfill to the page.
// These checks run on the server only.

/** UTF-8 size of the value as JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

export function assertJsonWithin(field: string, value: unknown, limit: number): void {
  assertWithinLimit(field, jsonBytes(value), limit);
}
