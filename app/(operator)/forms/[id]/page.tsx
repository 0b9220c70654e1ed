"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import type { FormFieldSpec } from "../../../../nodes/human/form";
import { retryUnlessClientError } from "../../../_components/query-retry";
import { useTRPC } from "../../../_trpc/client";

// The page for one pending form (human.form): its fields, drawn from the descriptor-validated
// packet; the server checks the values again and names the field it refuses.

type Values = Record<string, string | boolean>;

const STATE_TEXT = {
  pending: "Waiting for you",
  submitted: "Submitted",
  declined: "Declined",
  expired: "Closed by its deadline",
  cancelled: "The run was cancelled",
} as const;

function initialValues(fields: FormFieldSpec[], defaults: Record<string, unknown>): Values {
  return Object.fromEntries(fields.map((f) => [f.name, f.type === "boolean" ? defaults[f.name] === true : defaults[f.name] == null ? "" : String(defaults[f.name])]));
}

/** What the server gets: numbers as numbers, empty inputs left out. */
function typed(fields: FormFieldSpec[], values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.type === "boolean") out[f.name] = v === true;
    else if (typeof v === "string" && v.trim() !== "") out[f.name] = f.type === "number" && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return out;
}

function Field({ field, value, onChange }: { field: FormFieldSpec; value: string | boolean; onChange(v: string | boolean): void }) {
  const id = `field-${field.name}`;
  const common = { id, name: field.name, required: field.required, "aria-describedby": field.help ? `${id}-help` : undefined };
  let input;
  switch (field.type) {
    case "textarea":
      input = <textarea {...common} rows={4} value={String(value)} onChange={(e) => onChange(e.target.value)} />;
      break;
    case "boolean":
      input = <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
      break;
    case "select":
      input = (
        <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {!field.required || value === "" ? <option value="">—</option> : null}
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    default:
      input = <input {...common} type={field.type === "text" ? "text" : field.type} value={String(value)} onChange={(e) => onChange(e.target.value)} step={field.type === "number" ? "any" : undefined} />;
  }
  return (
    <div className="form-field" data-testid="form-field">
      <label htmlFor={id}>
        {field.label}
        {field.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {input}
      {field.help ? (
        <small id={`${id}-help`} className="muted">
          {field.help}
        </small>
      ) : null}
    </div>
  );
}

export default function FormPage() {
  const params = useParams<{ id: string }>();
  const id = typeof params.id === "string" ? params.id : "";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useQuery(trpc.form.get.queryOptions({ id }, { enabled: id.length > 0, retry: retryUnlessClientError }));
  const [values, setValues] = useState<Values | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.form.get.queryKey({ id }) });
  const submit = useMutation(trpc.form.submit.mutationOptions({ onSuccess: refresh }));
  const decline = useMutation(trpc.form.decline.mutationOptions({ onSuccess: refresh }));

  if (form.isPending) {
    return (
      <p className="state" role="status">
        Loading the form…
      </p>
    );
  }
  if (form.isError) {
    return (
      <div className="state state-error" role="alert">
        <strong>Could not load this form.</strong> {form.error.message}
      </div>
    );
  }
  const data = form.data;
  const current = values ?? initialValues(data.fields, data.defaults);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate({ id, values: typed(data.fields, current) });
  };
  const error = submit.error ?? decline.error;

  return (
    <section>
      <div className="page-header">
        <h1>{data.title}</h1>
        <span className={data.state === "pending" ? "badge badge-warning" : "badge badge-muted"} data-testid="form-state">
          {STATE_TEXT[data.state]}
        </span>
      </div>
      <p className="muted">
        Workflow <strong>{data.workflow}</strong>, run <code>{data.runId}</code>
        {data.deadlineAt ? <> · deadline {new Date(data.deadlineAt).toLocaleString()}</> : null}
      </p>
      {data.instructions ? <p className="description">{data.instructions}</p> : null}
      {data.state === "pending" ? (
        <form className="form panel" onSubmit={onSubmit} noValidate data-testid="form">
          {data.fields.map((f) => (
            <Field key={f.name} field={f} value={current[f.name] ?? ""} onChange={(v) => setValues({ ...current, [f.name]: v })} />
          ))}
          {error ? (
            <p className="form-error" role="alert" data-testid="form-error">
              {error.message}
            </p>
          ) : null}
          <div className="form-inline">
            <button type="submit" className="button-primary" disabled={submit.isPending || decline.isPending}>
              Submit
            </button>
            <button type="button" className="button-quiet" disabled={submit.isPending || decline.isPending} onClick={() => decline.mutate({ id })}>
              Decline
            </button>
          </div>
        </form>
      ) : (
        <div className="panel" data-testid="form-decided">
          {data.decidedBy ? (
            <p>
              {STATE_TEXT[data.state]} by {data.decidedBy}
              {data.decidedAt ? ` on ${new Date(data.decidedAt).toLocaleString()}` : ""}.
            </p>
          ) : null}
          {data.values ? (
            <dl>
              {data.fields.map((f) => (
                <div key={f.name}>
                  <dt>{f.label}</dt>
                  <dd data-testid={`value-${f.name}`}>{data.values![f.name] === null || data.values![f.name] === undefined ? "—" : String(data.values![f.name])}</dd>
                </div>
              ))}
            </dl>
          ) : null}
        </div>
      )}
    </section>
  );
}
