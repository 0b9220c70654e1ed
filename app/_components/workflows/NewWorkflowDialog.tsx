"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../../_trpc/client";
import { ModalDialog } from "./ModalDialog";

const BLANK = "";

/** New workflow: blank or from a shipped template; opens the editor on the new draft. */
export function NewWorkflowDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const templates = useQuery(trpc.workflow.templates.queryOptions(undefined, { enabled: open, staleTime: Infinity }));
  const [name, setName] = useState("");
  const [template, setTemplate] = useState(BLANK);
  const opened = (r: { id: string }) => router.push(`/workflows/${encodeURIComponent(r.id)}`);
  const blank = useMutation(trpc.workflow.create.mutationOptions({ onSuccess: opened }));
  const fromTemplate = useMutation(trpc.workflow.createFromTemplate.mutationOptions({ onSuccess: opened }));
  const pending = blank.isPending || fromTemplate.isPending;
  const error = blank.error ?? fromTemplate.error;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (template === BLANK) blank.mutate({ name });
    else fromTemplate.mutate({ template, ...(name.trim() ? { name } : {}) });
  };

  return (
    <ModalDialog open={open} onOpenChange={onOpenChange} title="New workflow" description="Start from a blank canvas or from a template." testId="new-workflow-dialog">
      <form onSubmit={submit}>
        <label className="dialog-field">
          Name{template === BLANK ? "" : " (the template's when empty)"}
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={120} autoFocus aria-invalid={Boolean(error)} />
        </label>
        <fieldset className="template-choices" aria-label="Start from">
          <label className="template-choice">
            <input type="radio" name="template" checked={template === BLANK} onChange={() => setTemplate(BLANK)} />
            <span>
              Blank
              <small>An empty canvas.</small>
            </span>
          </label>
          {templates.isPending ? <p className="muted">Loading templates…</p> : null}
          {templates.isError ? <p className="form-error">Could not load templates: {templates.error.message}</p> : null}
          {templates.data?.map((t) => (
            <label key={t.slug} className="template-choice">
              <input type="radio" name="template" checked={template === t.slug} onChange={() => setTemplate(t.slug)} />
              <span>
                {t.name}
                <small>{t.description}</small>
              </span>
            </label>
          ))}
        </fieldset>
        {error ? (
          <p className="form-error" role="alert">
            {error.message}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="button-quiet" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={pending}>
            {pending ? "Creating…" : "Create"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
