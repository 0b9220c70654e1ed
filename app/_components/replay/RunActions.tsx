"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { CONTROL_TRANSITIONS, type RunStatus } from "../../../engine/runtime/run-status";
import { useTRPC } from "../../_trpc/client";
import { JsonInput } from "../JsonInput";
import { DialogActions, DialogError, ModalDialog } from "../workflows/ModalDialog";

// What the operator can do to a run from its replay: cancel, pause, resume, retry from the
// failed step, and fork from the point shown with edited input. Each calls the run service
// (the store's operator actions); errors come back as sentences and are shown as they are.

type Status = RunStatus;
const can = (action: keyof typeof CONTROL_TRANSITIONS, status: Status) => (CONTROL_TRANSITIONS[action].from as readonly Status[]).includes(status);

export function RunActions({
  runId,
  status,
  forkSeq,
  forkInput,
  failedSeq,
  deadLetterId,
}: {
  runId: string;
  status: Status;
  /** The event shown: a fork starts at the latest checkpoint at or before it. */
  forkSeq: number | null;
  forkInput: unknown;
  /** The failure a retry starts again before (a failed run's last node.failed). */
  failedSeq: number | null;
  /** A dead run's open dead letter: retrying it continues this same run. */
  deadLetterId: string | null;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [forkOpen, setForkOpen] = useState(false);
  const [forkText, setForkText] = useState("");
  const [forkError, setForkError] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.run.replay.queryKey({ id: runId }) });
  const onError = (e: { message: string }) => setError(e.message);
  const control = useMutation(trpc.run.control.mutationOptions({ onSuccess: () => (setError(null), refresh()), onError }));
  const retryDead = useMutation(trpc.deadLetter.retry.mutationOptions({ onSuccess: () => (setError(null), refresh()), onError }));
  const fork = useMutation(
    trpc.run.fork.mutationOptions({
      onSuccess: (created) => {
        setForkOpen(false);
        router.push(`/runs/${encodeURIComponent(created.id)}`);
      },
      onError: (e) => setForkError(e.message),
    }),
  );
  const retryFork = useMutation(trpc.run.fork.mutationOptions({ onSuccess: (created) => router.push(`/runs/${encodeURIComponent(created.id)}`), onError }));
  const busy = control.isPending || retryDead.isPending || fork.isPending || retryFork.isPending;

  const openFork = (open: boolean) => {
    if (open) {
      setForkText(JSON.stringify(forkInput ?? {}, null, 2));
      setForkError(null);
    }
    setForkOpen(open);
  };
  const submitFork = () => {
    let input: unknown;
    try {
      input = JSON.parse(forkText);
    } catch (e) {
      setForkError(`input: is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      return;
    }
    fork.mutate({ id: runId, ...(forkSeq !== null ? { seq: forkSeq } : {}), input });
  };

  const canCancel = can("cancel", status);
  const canPause = can("pause", status);
  return (
    <div className="run-actions" role="group" aria-label="Run actions">
      {status === "dead" && deadLetterId ? (
        <button type="button" className="button-primary" disabled={busy} onClick={() => retryDead.mutate({ id: deadLetterId })}>
          Retry the failed step
        </button>
      ) : null}
      {status === "failed" && failedSeq !== null ? (
        <button type="button" className="button-primary" disabled={busy} onClick={() => retryFork.mutate({ id: runId, seq: Math.max(1, failedSeq - 1) })}>
          Retry from the failed step
        </button>
      ) : null}
      {canPause ? (
        <button type="button" className="button-quiet" disabled={busy} onClick={() => control.mutate({ id: runId, action: "pause" })}>
          Pause
        </button>
      ) : null}
      {can("resume", status) ? (
        <button type="button" className="button-quiet" disabled={busy} onClick={() => control.mutate({ id: runId, action: "resume" })}>
          Resume
        </button>
      ) : null}
      {canCancel ? (
        <button type="button" className="button-quiet" disabled={busy} onClick={() => control.mutate({ id: runId, action: "cancel" })}>
          Cancel run
        </button>
      ) : null}
      <ModalDialog
        open={forkOpen}
        onOpenChange={openFork}
        title={`Fork from event ${forkSeq}`}
        description={`A new run of the same version starts where this one stood at its latest checkpoint at or before event ${forkSeq}. Steps after it run again under the new run's own keys, with this input:`}
        trigger={
          <button type="button" className="button-quiet" disabled={busy || forkSeq === null}>
            Fork from here…
          </button>
        }
      >
        <JsonInput value={forkText} onChange={setForkText} label="Fork input (JSON)" height="240px" testId="fork-input" />
        <DialogError error={forkError} testId="fork-error" />
        <DialogActions label="Start the fork" pendingLabel="Starting…" pending={fork.isPending} onConfirm={submitFork} />
      </ModalDialog>
      <DialogError error={error} testId="run-action-error" />
    </div>
  );
}
