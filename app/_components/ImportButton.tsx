"use client";

import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type ChangeEvent } from "react";
import { useTRPC } from "../_trpc/client";

/** Imports an exported workflow file as a new draft, then opens it. */
export function ImportButton() {
  const trpc = useTRPC();
  const input = useRef<HTMLInputElement>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const importFile = useMutation(trpc.workflow.import.mutationOptions({ onSuccess: (r) => window.location.assign(`/workflows/${encodeURIComponent(r.id)}`) }));

  const chosen = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    setReadError(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await file.text());
    } catch {
      setReadError(`${file.name} is not a JSON file.`);
      return;
    }
    importFile.mutate({ file: parsed });
  };

  return (
    <div className="import">
      <input ref={input} type="file" accept="application/json,.json" hidden onChange={(e) => void chosen(e)} data-testid="import-input" />
      <button type="button" className="button-quiet" onClick={() => input.current?.click()} disabled={importFile.isPending}>
        Import…
      </button>
      {readError || importFile.isError ? (
        <p className="form-error" role="alert">
          {readError ?? importFile.error?.message}
        </p>
      ) : null}
    </div>
  );
}
