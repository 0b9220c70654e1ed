"use client";

import { useState, type FormEvent } from "react";
import type { FormFieldSpec } from "../../../../nodes/human/form";
import { proposalDiff } from "../../../../nodes/human/proposal-diff";
import styles from "../../../_components/operations.module.css";

// Edit-and-approve: a form generated from the node's proposal schema (a JSON editor for
// approvals without one), with the diff against the proposal shown before anything is sent.

type Values = Record<string, string | boolean>;

function initial(fields: FormFieldSpec[], proposal: Record<string, unknown>): Values {
  return Object.fromEntries(fields.map((f) => [f.name, f.type === "boolean" ? proposal[f.name] === true : proposal[f.name] == null ? "" : String(proposal[f.name])]));
}

function typed(fields: FormFieldSpec[], values: Values, proposal: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...proposal };
  for (const f of fields) {
    const v = values[f.name];
    if (f.type === "boolean") out[f.name] = v === true;
    else if (typeof v === "string" && v.trim() === "") out[f.name] = proposal[f.name] === "" ? "" : null;
    else out[f.name] = f.type === "number" && typeof v === "string" && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return out;
}

const show = (v: unknown) => (v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));

export function ChangesTable({ changes }: { changes: readonly { path: string; before?: unknown; after?: unknown }[] }) {
  if (changes.length === 0) return <p className="muted">No changes to the proposal.</p>;
  return (
    <table className={styles.diff} data-testid="diff">
      <thead>
        <tr>
          <th scope="col">field</th>
          <th scope="col">proposed</th>
          <th scope="col">approved</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path} data-testid="diff-row" data-path={c.path}>
            <td>{c.path || "(whole proposal)"}</td>
            <td className={styles.before}>{show(c.before)}</td>
            <td className={styles.after}>{show(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ProposalEditor({
  fields,
  proposal,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  fields: FormFieldSpec[];
  proposal: unknown;
  pending: boolean;
  error: string | null;
  onSubmit(data: unknown): void;
  onCancel(): void;
}) {
  const base = proposal && typeof proposal === "object" && !Array.isArray(proposal) ? (proposal as Record<string, unknown>) : {};
  const [values, setValues] = useState<Values>(() => initial(fields, base));
  const [text, setText] = useState(() => JSON.stringify(proposal ?? null, null, 2));
  let data: unknown;
  let parseError: string | null = null;
  if (fields.length) data = typed(fields, values, base);
  else {
    try {
      data = JSON.parse(text);
    } catch (e) {
      parseError = `proposal: not valid JSON (${(e as Error).message})`;
    }
  }
  const changes = parseError ? [] : proposalDiff(proposal ?? null, data);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!parseError) onSubmit(data);
  };
  return (
    <form className="form" onSubmit={submit} noValidate data-testid="edit-form">
      {fields.length ? (
        fields.map((f) => {
          const id = `proposal-${f.name}`;
          const value = values[f.name] ?? "";
          const set = (v: string | boolean) => setValues({ ...values, [f.name]: v });
          return (
            <div className="form-field" key={f.name}>
              <label htmlFor={id}>
                {f.label}
                {f.required ? <span aria-hidden="true"> *</span> : null}
              </label>
              {f.type === "textarea" ? (
                <textarea id={id} rows={4} value={String(value)} onChange={(e) => set(e.target.value)} />
              ) : f.type === "boolean" ? (
                <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} />
              ) : f.type === "select" ? (
                <select id={id} value={String(value)} onChange={(e) => set(e.target.value)}>
                  <option value="">—</option>
                  {(f.options ?? []).map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              ) : (
                <input id={id} type={f.type === "text" ? "text" : f.type} step={f.type === "number" ? "any" : undefined} value={String(value)} onChange={(e) => set(e.target.value)} />
              )}
              {f.help ? <small className="muted">{f.help}</small> : null}
            </div>
          );
        })
      ) : (
        <div className="form-field">
          <label htmlFor="proposal-json">Proposal (JSON)</label>
          <textarea id="proposal-json" rows={10} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} style={{ fontFamily: "var(--font-mono)" }} />
        </div>
      )}
      <h3 className="section-title">What you changed</h3>
      <ChangesTable changes={changes} />
      {parseError || error ? (
        <p className="form-error" role="alert" data-testid="edit-error">
          {parseError ?? error}
        </p>
      ) : null}
      <div className={styles.actions}>
        <button type="submit" className="button-primary" disabled={pending || !!parseError}>
          Approve with edits
        </button>
        <button type="button" className="button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
