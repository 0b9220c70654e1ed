"use client";

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { JsonInput } from "../../_components/JsonInput";
import { DialogActions, DialogError, ModalDialog } from "../../_components/workflows/ModalDialog";
import { useTRPC } from "../../_trpc/client";
import type { Letter } from "./letter";

// The dead-letter actions that need more than a click: retry with the run's input edited (and,
// where the step itself was wrong, its configuration; the new idempotency key shown before it
// runs), skip with an output, cancel the run.

export type Action = { kind: "edit" | "skip" | "cancel"; letter: Letter };

const TITLES = { edit: "Edit and retry", skip: "Skip with an output", cancel: "Cancel the run" } as const;

function parseJson(text: string, field: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `${field}: not valid JSON (${(e as Error).message})` };
  }
}

function Body({ action, onDone }: { action: Action; onDone(message: string): void }) {
  const trpc = useTRPC();
  const { letter } = action;
  const [initialInput] = useState(() => JSON.stringify(letter.input, null, 2));
  const [initialConfig] = useState(() => JSON.stringify(letter.config, null, 2));
  const [input, setInput] = useState(initialInput);
  const [config, setConfig] = useState(initialConfig);
  const [output, setOutput] = useState("{}");
  const [port, setPort] = useState("out");
  const retry = useMutation(trpc.deadLetter.retry.mutationOptions({ onSuccess: () => onDone(`Retried with edits under the new key ${letter.editedKey}.`) }));
  const skip = useMutation(trpc.deadLetter.skip.mutationOptions({ onSuccess: () => onDone(`Skipped: the run continues from '${port}'.`) }));
  const cancel = useMutation(trpc.deadLetter.cancel.mutationOptions({ onSuccess: () => onDone("The run was cancelled.") }));
  const [localError, setLocalError] = useState<string | null>(null);
  const error = localError ?? retry.error?.message ?? skip.error?.message ?? cancel.error?.message ?? null;
  const pending = retry.isPending || skip.isPending || cancel.isPending;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setLocalError(null);
    if (action.kind === "cancel") return cancel.mutate({ id: letter.id });
    if (action.kind === "edit") {
      // Only what was changed is sent: an untouched configuration stays the node's own.
      const edits: { input?: unknown; config?: Record<string, unknown> } = {};
      if (input !== initialInput) {
        const parsed = parseJson(input, "input");
        if (parsed.error) return setLocalError(parsed.error);
        edits.input = parsed.value;
      }
      if (config !== initialConfig) {
        const parsed = parseJson(config, "config");
        if (parsed.error) return setLocalError(parsed.error);
        if (!parsed.value || typeof parsed.value !== "object" || Array.isArray(parsed.value)) return setLocalError("config: must be a JSON object");
        edits.config = parsed.value as Record<string, unknown>;
      }
      if (edits.input === undefined && edits.config === undefined) return setLocalError("Nothing was edited: change the run input or the configuration, or use Retry.");
      return retry.mutate({ id: letter.id, ...edits });
    }
    const parsed = parseJson(output, "output");
    if (parsed.error) return setLocalError(parsed.error);
    skip.mutate({ id: letter.id, port, output: parsed.value });
  };

  return (
    <form className="form" onSubmit={submit} noValidate>
      {action.kind === "edit" ? (
        <>
          <div className="form-field">
            <span aria-hidden="true">Run input (JSON)</span>
            <JsonInput
              value={input}
              onChange={(text) => {
                // A field error answers the text it was given: editing it clears the error.
                setInput(text);
                setLocalError(null);
                retry.reset();
              }}
              label="Run input (JSON)"
              height="180px"
              testId="dl-input"
              describedBy="dl-input-hint"
            />
            <p className="muted" id="dl-input-hint">
              Checked against the trigger&apos;s input schema; this step and every later one see the edited input.
            </p>
          </div>
          <details>
            <summary>Configuration of {letter.node.label} (when the step itself was wrong)</summary>
            <div className="form-field">
              <label htmlFor="dl-config">Configuration of {letter.node.label}</label>
              <textarea id="dl-config" rows={10} spellCheck={false} value={config} onChange={(e) => setConfig(e.target.value)} style={{ fontFamily: "var(--font-mono)" }} />
            </div>
          </details>
          <p className="muted">
            Runs as a new request under the key <code data-testid="edited-key">{letter.editedKey}</code> (the failed one used <code>{letter.key}</code>).
          </p>
        </>
      ) : action.kind === "skip" ? (
        <>
          <div className="form-field">
            <label htmlFor="dl-port">Continue from port</label>
            <input id="dl-port" value={port} onChange={(e) => setPort(e.target.value)} />
          </div>
          <div className="form-field">
            <label htmlFor="dl-output">Output (JSON)</label>
            <textarea id="dl-output" rows={6} spellCheck={false} value={output} onChange={(e) => setOutput(e.target.value)} style={{ fontFamily: "var(--font-mono)" }} />
          </div>
        </>
      ) : (
        <p>The run stops for good; nothing after this step runs.</p>
      )}
      <DialogError error={error} />
      <DialogActions
        label={action.kind === "edit" ? "Retry with these edits" : action.kind === "skip" ? "Skip the step" : "Cancel the run"}
        danger={action.kind === "cancel"}
        pending={pending}
      />
    </form>
  );
}

export function ActionDialog({ action, onClose, onDone }: { action: Action | null; onClose(): void; onDone(message: string): void }) {
  return (
    <ModalDialog open={action !== null} onOpenChange={(open) => !open && onClose()} title={action ? `${TITLES[action.kind]}: ${action.letter.workflow.name} · ${action.letter.node.label}` : ""}>
      {action ? <Body key={action.letter.id + action.kind} action={action} onDone={onDone} /> : null}
    </ModalDialog>
  );
}
