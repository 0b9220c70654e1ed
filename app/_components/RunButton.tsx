"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../_trpc/client";
import { JsonInput } from "./JsonInput";
import { DialogActions, DialogError, ModalDialog } from "./workflows/ModalDialog";

// The Run button a workflow page mounts: starts a run of the published version. With an input
// schema on the manual trigger (trigger.manual@2) it asks through a form built from the schema
// (a field per top-level property); without one, through a JSON editor. The server checks the
// input against the schema again and names the field it refuses.

type Property = { type?: string | string[]; title?: string; description?: string; enum?: unknown[]; default?: unknown };
type Field = { name: string; label: string; help: string; kind: "text" | "number" | "integer" | "boolean" | "choice" | "json"; options: unknown[]; required: boolean; initial: string | boolean };

function fieldsOf(schema: Record<string, unknown>): Field[] {
  const properties = (schema.properties ?? {}) as Record<string, Property>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(properties).map(([name, p]) => {
    const type = Array.isArray(p.type) ? p.type.find((t) => t !== "null") : p.type;
    const kind: Field["kind"] = Array.isArray(p.enum) ? "choice" : type === "string" ? "text" : type === "number" ? "number" : type === "integer" ? "integer" : type === "boolean" ? "boolean" : "json";
    const initial = kind === "boolean" ? p.default === true : p.default === undefined ? (kind === "choice" && required.has(name) ? JSON.stringify(p.enum![0]) : "") : kind === "choice" || kind === "json" ? JSON.stringify(p.default) : String(p.default);
    return { name, label: p.title ?? name, help: p.description ?? "", kind, options: p.enum ?? [], required: required.has(name), initial };
  });
}

/** The form's values as the run's input; a blank optional field is left out. */
function inputOf(fields: Field[], values: Record<string, string | boolean>): { input: Record<string, unknown> } | { error: string } {
  const input: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.kind === "boolean") {
      input[f.name] = v === true;
      continue;
    }
    const text = typeof v === "string" ? v : "";
    if (text.trim() === "") continue;
    if (f.kind === "text") input[f.name] = text;
    else if (f.kind === "number" || f.kind === "integer") {
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: `input.${f.name}: must be a number (${f.label})` };
      input[f.name] = n;
    } else {
      try {
        input[f.name] = JSON.parse(text);
      } catch {
        return { error: `input.${f.name}: is not valid JSON (${f.label})` };
      }
    }
  }
  return { input };
}

export function RunButton({ workflow }: { workflow: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const form = useQuery(trpc.run.inputForm.queryOptions({ workflow }, { enabled: open }));
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [text, setText] = useState("{}");
  const [error, setError] = useState<string | null>(null);
  const start = useMutation(
    trpc.run.start.mutationOptions({
      onSuccess: (run) => {
        setOpen(false);
        router.push(`/runs/${encodeURIComponent(run.id)}`);
      },
      onError: (e) => setError(e.message),
    }),
  );
  const schema = form.data?.trigger?.inputSchema ?? null;
  const fields = schema ? fieldsOf(schema) : [];
  const valueOf = (f: Field) => values[f.name] ?? f.initial;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (schema) {
      const result = inputOf(fields, Object.fromEntries(fields.map((f) => [f.name, valueOf(f)])));
      if ("error" in result) return setError(result.error);
      start.mutate({ workflow, input: result.input });
    } else {
      try {
        start.mutate({ workflow, input: JSON.parse(text) });
      } catch (e) {
        setError(`input: is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
      }
    }
  };

  const body = form.isPending ? (
    <p className="state" role="status">
      Loading the trigger's input…
    </p>
  ) : form.isError ? (
    <p className="state state-error" role="alert">
      {form.error.message}
    </p>
  ) : form.data.version === null ? (
    <p className="state state-empty">This workflow has no published version yet: publish it first.</p>
  ) : (
    <form className="form" onSubmit={submit} noValidate>
      <p className="muted">
        Starts a run of version {form.data.version}
        {form.data.trigger?.description ? ` — ${form.data.trigger.description}` : ""}.
      </p>
      {schema ? (
        fields.map((f) => (
          <div className="form-field" key={f.name}>
            {f.kind === "boolean" ? (
              <label>
                <input type="checkbox" checked={valueOf(f) === true} onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.checked }))} /> {f.label}
              </label>
            ) : (
              <>
                <label htmlFor={`run-${f.name}`}>
                  {f.label}
                  {f.required ? " *" : ""}
                </label>
                {f.kind === "choice" ? (
                  <select id={`run-${f.name}`} value={String(valueOf(f))} onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}>
                    {f.required ? null : <option value="">—</option>}
                    {f.options.map((o) => (
                      <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
                        {String(o)}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={`run-${f.name}`}
                    type={f.kind === "number" || f.kind === "integer" ? "number" : "text"}
                    step={f.kind === "integer" ? 1 : "any"}
                    value={String(valueOf(f))}
                    onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                    placeholder={f.kind === "json" ? "JSON" : undefined}
                  />
                )}
              </>
            )}
            {f.help ? <small className="muted">{f.help}</small> : null}
          </div>
        ))
      ) : (
        <JsonInput value={text} onChange={setText} label="Run input (JSON)" height="180px" testId="run-input-json" />
      )}
      <DialogError error={error} testId="run-error" />
      <DialogActions label="Start run" pendingLabel="Starting…" pending={start.isPending} />
    </form>
  );

  return (
    <ModalDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setError(null);
      }}
      title={`Run ${form.data?.name ?? "workflow"}`}
      trigger={
        <button type="button" className="button-quiet">
          Run…
        </button>
      }
    >
      {body}
    </ModalDialog>
  );
}
