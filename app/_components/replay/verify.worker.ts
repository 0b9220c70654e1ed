import type { CompiledWorkflow } from "../../../engine/graph/compile";
import { ReplayVerifier, type Mismatch, type VerifyEvent } from "./verifier";

// The replay's verification off the main thread, so scrubbing stays smooth while a long log is
// checked against its checkpoints. Messages in: init, events, checkpoints; out: progress with
// the mismatches found since the last message.

export type VerifyRequest =
  | { kind: "init"; compiled: CompiledWorkflow }
  | { kind: "events"; events: VerifyEvent[] }
  | { kind: "checkpoints"; checkpoints: { seq: number; snapshot: unknown }[]; through: number };

export interface VerifyProgress {
  kind: "progress";
  verifiedThrough: number;
  checked: number;
  mismatches: Mismatch[];
}

export type VerifyResponse = VerifyProgress | { kind: "error"; message: string };

let verifier: ReplayVerifier | null = null;

const post = (message: VerifyResponse) => (self as unknown as { postMessage(m: VerifyResponse): void }).postMessage(message);

self.addEventListener("message", (event: MessageEvent<VerifyRequest>) => {
  try {
    const request = event.data;
    if (request.kind === "init") {
      verifier = new ReplayVerifier(request.compiled);
      return;
    }
    if (!verifier) return;
    const mismatches = request.kind === "events" ? verifier.addEvents(request.events) : verifier.addCheckpoints(request.checkpoints, request.through);
    post({ kind: "progress", verifiedThrough: verifier.verifiedThrough, checked: verifier.checked, mismatches });
  } catch (error) {
    post({ kind: "error", message: error instanceof Error ? error.message : String(error) });
  }
});
