"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../../_trpc/client";
import { ModalDialog } from "./ModalDialog";

export function RenameDialog({ workflow, onClose }: { workflow: { id: string; name: string }; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(workflow.name);
  const rename = useMutation(
    trpc.workflow.rename.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.workflow.pathKey() });
        onClose();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    rename.mutate({ id: workflow.id, name });
  };
  return (
    <ModalDialog open onOpenChange={(open) => (open ? undefined : onClose())} title={`Rename '${workflow.name}'`} testId="rename-dialog">
      <form onSubmit={submit}>
        <label className="dialog-field">
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={120} autoFocus aria-invalid={rename.isError} />
        </label>
        {rename.isError ? (
          <p className="form-error" role="alert">
            {rename.error.message}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="button-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={rename.isPending}>
            {rename.isPending ? "Saving…" : "Rename"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
