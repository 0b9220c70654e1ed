"use client";

import { useMemo, useState } from "react";
import { Controller, useForm, type Path, type UseFormReturn } from "react-hook-form";
import { useStore } from "zustand";
import type { Problem } from "../../../engine/graph/problems";
import type { GraphNode } from "../../../engine/graph/schema";
import type { NodeRegistry, RetryPolicy } from "../../../engine/registry";
import { problemText } from "../canvas/problem-text";
import { configFields, fieldLabel, type FieldSpec } from "./config-fields";
import { ExpressionField, type SampleData } from "./ExpressionField";
import type { EditorStore } from "./store";
import { useFieldCommits, type FieldCommits } from "./use-field-commits";

// The selected node's side panel: its label, every config field of its type (generated from
// the zod schema, with the descriptor's help and examples), and its retry policy and timeout.
// The fields are one react-hook-form form; a field reaches the store when it is left or typing
// pauses (use-field-commits), so a burst of typing is one command. A field writes only its own
// key, so config keys this form does not know survive.

export interface CredentialOption {
  name: string;
  kind: string;
}

interface NodeForm {
  label: string;
  config: Record<string, unknown>;
}

export function NodePanel({
  store,
  registry,
  node,
  problems,
  credentials,
  sample,
  extra,
  notice,
}: {
  store: EditorStore;
  registry: NodeRegistry;
  node: GraphNode;
  problems: readonly Problem[];
  credentials: readonly CredentialOption[];
  sample: SampleData;
  /** Type-specific extras (the webhook URL), placed under the fields. */
  extra?: React.ReactNode;
  /** What the operator should know before the fields (an email step that only reaches the outbox). */
  notice?: React.ReactNode;
}) {
  const meta = registry.get(node.type, node.typeVersion);
  const fields = useMemo(() => (meta ? configFields(meta) : []), [meta]);
  const graph = useStore(store, (s) => s.graph);
  const upstream = useMemo(() => {
    const seen = new Set<string>();
    const stack = [node.id];
    while (stack.length) {
      const id = stack.pop()!;
      for (const e of graph.edges) {
        if (e.target !== id || seen.has(e.source)) continue;
        seen.add(e.source);
        stack.push(e.source);
      }
    }
    return [...seen].sort();
  }, [graph.edges, node.id]);

  const stored = useMemo(() => {
    const out: Record<string, unknown> = { label: node.label };
    for (const f of fields) out[`config.${f.name}`] = node.config[f.name];
    return out;
  }, [node.label, node.config, fields]);
  const form = useForm<NodeForm>({ defaultValues: { label: node.label, config: Object.fromEntries(fields.map((f) => [f.name, node.config[f.name]])) } });
  const { setConfigField, setLabel, endBurst, setEditing } = store.getState();
  const commits = useFieldCommits<NodeForm>({
    form,
    stored,
    write: (key, value) => (key === "label" ? setLabel(node.id, typeof value === "string" ? value : "") : setConfigField(node.id, key.slice("config.".length), value)),
    endBurst,
    onPending: setEditing,
  });

  const fieldProblems = (name: string) => problems.filter((p) => p.nodeId === node.id && new RegExp(`\\.config\\.${name}(\\.|$)`).test(p.path));
  const otherProblems = problems.filter((p) => p.nodeId === node.id && !fields.some((f) => new RegExp(`\\.config\\.${f.name}(\\.|$)`).test(p.path)));
  const unknownKeys = Object.keys(node.config).filter((k) => !fields.some((f) => f.name === k));

  if (!meta) {
    return (
      <div className="node-panel" data-testid="node-panel">
        <p className="state state-error">There is no node type {`'${node.type}'`} version {node.typeVersion}; its configuration is kept as it is.</p>
      </div>
    );
  }

  return (
    <div className="node-panel" data-testid="node-panel">
      <p className="node-panel-type">
        <strong>{meta.title}</strong> <code>{node.type}</code> <code>{node.id}</code>
      </p>
      <p className="muted node-panel-description">{meta.description}</p>
      {notice}
      <div className="form-field">
        <label htmlFor="node-label">Label</label>
        <input
          id="node-label"
          maxLength={200}
          placeholder={meta.title}
          {...form.register("label", { onChange: () => commits.changed("label"), onBlur: () => commits.left("label") })}
        />
      </div>
      {fields.map((field) => (
        <ConfigField
          key={`${node.id}:${field.name}`}
          nodeId={node.id}
          field={field}
          form={form}
          commits={commits}
          problems={fieldProblems(field.name)}
          credentials={credentials}
          upstream={upstream}
          sample={sample}
        />
      ))}
      {unknownKeys.length ? (
        <p className="muted" data-testid="unknown-config-keys">
          Kept as they are (not known to this form): {unknownKeys.map((k) => `'${k}'`).join(", ")}
        </p>
      ) : null}
      {otherProblems.length ? (
        <ul className="field-problems" data-testid="node-problems">
          {otherProblems.map((p, i) => (
            <li key={i}>{problemText(p)}</li>
          ))}
        </ul>
      ) : null}
      {extra}
      <RetryFields store={store} node={node} defaults={meta.retry} executes={meta.execution === "executor"} />
    </div>
  );
}

/** How an example reads on its button: short, on one line. */
function exampleText(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const line = text.replace(/\s+/g, " ");
  return line.length > 48 ? `${line.slice(0, 47)}…` : line;
}

// Choices commit at once; typed values after a pause or on leaving the field.
const CHOICE_KINDS = new Set<FieldSpec["kind"]>(["enum", "boolean", "credential"]);

function ConfigField({
  nodeId,
  field,
  form,
  commits,
  problems,
  credentials,
  upstream,
  sample,
}: {
  nodeId: string;
  field: FieldSpec;
  form: UseFormReturn<NodeForm>;
  commits: FieldCommits<NodeForm>;
  problems: readonly Problem[];
  credentials: readonly CredentialOption[];
  upstream: readonly string[];
  sample: SampleData;
}) {
  const id = `config-${field.name}`;
  const key = `config.${field.name}` as Path<NodeForm>;
  const label = `${fieldLabel(field.name)}${field.required ? " *" : ""}`;
  // While typed input waits to be committed, the store's problems are about the old value.
  const error = problems[0] && !commits.pending.has(key) ? problemText(problems[0], "field") : undefined;
  const helpId = field.description ? `${id}-help` : undefined;
  const examples = CHOICE_KINDS.has(field.kind) ? [] : (field.examples ?? []);
  return (
    <div className={error ? "form-field form-field-invalid" : "form-field"} data-field={field.name} data-node={nodeId}>
      <label htmlFor={id}>{label}</label>
      <Controller
        control={form.control}
        name={key}
        render={({ field: rhf }) => {
          const onChange = (value: unknown) => {
            rhf.onChange(value);
            commits.changed(key, { now: CHOICE_KINDS.has(field.kind) });
          };
          const onBlur = () => {
            rhf.onBlur();
            commits.left(key);
          };
          return <FieldControl id={id} helpId={helpId} field={field} value={rhf.value} credentials={credentials} upstream={upstream} sample={sample} onChange={onChange} onBlur={onBlur} />;
        }}
      />
      {field.description ? (
        <p className="muted field-help" id={helpId}>
          {field.description}
        </p>
      ) : null}
      {examples.length ? (
        <div className="field-examples" role="group" aria-label={`Examples for ${fieldLabel(field.name)}`}>
          <span className="muted">Examples:</span>
          {examples.map((example, i) => (
            <button key={i} type="button" className="example-chip" title={`Insert: ${typeof example === "string" ? example : JSON.stringify(example, null, 2)}`} onClick={() => commits.put(key, example)}>
              {exampleText(example)}
            </button>
          ))}
        </div>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function FieldControl({
  id,
  helpId,
  field,
  value,
  credentials,
  upstream,
  sample,
  onChange,
  onBlur,
}: {
  id: string;
  helpId: string | undefined;
  field: FieldSpec;
  value: unknown;
  credentials: readonly CredentialOption[];
  upstream: readonly string[];
  sample: SampleData;
  onChange: (value: unknown) => void;
  onBlur: () => void;
}) {
  switch (field.kind) {
    case "enum":
      return (
        <select id={id} aria-describedby={helpId} value={value === undefined ? "" : String(value)} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)} onBlur={onBlur}>
          {field.required ? null : <option value="">{field.defaultValue !== undefined ? `(default: ${String(field.defaultValue)})` : "(none)"}</option>}
          {field.options!.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    case "boolean":
      return <input id={id} aria-describedby={helpId} type="checkbox" checked={value === undefined ? field.defaultValue === true : value === true} onChange={(e) => onChange(e.target.checked)} onBlur={onBlur} />;
    case "number":
      return (
        <input
          id={id}
          aria-describedby={helpId}
          type="number"
          value={typeof value === "number" ? value : ""}
          placeholder={field.defaultValue !== undefined ? String(field.defaultValue) : ""}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
          onBlur={onBlur}
        />
      );
    case "credential": {
      const current = field.nested ? (value as Record<string, unknown> | undefined)?.[field.nested] : value;
      const fitting = credentials.filter((c) => !field.credentialKinds?.length || field.credentialKinds.includes(c.kind));
      return (
        <select
          id={id}
          aria-describedby={helpId}
          value={typeof current === "string" ? current : ""}
          onChange={(e) => {
            const name = e.target.value;
            onChange(name === "" ? undefined : field.nested ? { ...((value as object | undefined) ?? {}), [field.nested]: name } : name);
          }}
          onBlur={onBlur}
        >
          <option value="">(none)</option>
          {typeof current === "string" && current && !fitting.some((c) => c.name === current) ? <option value={current}>{current} (not found)</option> : null}
          {fitting.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} ({c.kind})
            </option>
          ))}
        </select>
      );
    }
    case "jsonata":
    case "template":
      return <ExpressionField id={id} value={typeof value === "string" ? value : ""} kind={field.kind} upstream={upstream} sample={sample} onChange={(v) => onChange(v)} onBlur={onBlur} />;
    case "json":
      return <JsonField id={id} helpId={helpId} value={value} onChange={onChange} onBlur={onBlur} />;
    default:
      return field.multiline ? (
        <textarea id={id} aria-describedby={helpId} rows={3} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} onBlur={onBlur} />
      ) : (
        <input
          id={id}
          aria-describedby={helpId}
          value={typeof value === "string" ? value : ""}
          placeholder={field.defaultValue !== undefined ? String(field.defaultValue) : ""}
          onChange={(e) => onChange(e.target.value)}
          onBlur={onBlur}
        />
      );
  }
}

/** A JSON value edited as text: checked as you type, stored only when it parses. */
function JsonField({ id, helpId, value, onChange, onBlur }: { id: string; helpId: string | undefined; value: unknown; onChange: (v: unknown) => void; onBlur: () => void }) {
  const shown = value === undefined ? "" : JSON.stringify(value, null, 2);
  const [text, setText] = useState(shown);
  const [lastShown, setLastShown] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  // Undo (or a restored draft) changed the value: show it, unless it is what this text already says.
  if (shown !== lastShown) {
    setLastShown(shown);
    let same = false;
    try {
      same = JSON.stringify(text.trim() === "" ? undefined : JSON.parse(text)) === JSON.stringify(value);
    } catch {
      same = false;
    }
    if (!same) {
      setText(shown);
      setError(null);
    }
  }
  return (
    <>
      <textarea
        id={id}
        aria-describedby={helpId}
        rows={4}
        className="json-input"
        value={text}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === "") {
            setError(null);
            onChange(undefined);
            return;
          }
          try {
            const parsed: unknown = JSON.parse(e.target.value);
            setError(null);
            onChange(parsed);
          } catch (err) {
            setError(`Not JSON yet: ${(err as Error).message}`);
          }
        }}
        onBlur={onBlur}
        aria-invalid={error !== null}
      />
      {error ? (
        <p className="field-error" role="alert" data-testid="json-error">
          {error}
        </p>
      ) : null}
    </>
  );
}

const RETRY_FIELDS: { key: keyof RetryPolicy; label: string }[] = [
  { key: "attempts", label: "Attempts" },
  { key: "initialDelayMs", label: "First retry after (ms)" },
  { key: "maxDelayMs", label: "Longest wait (ms)" },
  { key: "factor", label: "Backoff factor" },
  { key: "timeoutMs", label: "Timeout per attempt (ms)" },
];

function RetryFields({ store, node, defaults, executes }: { store: EditorStore; node: GraphNode; defaults: RetryPolicy; executes: boolean }) {
  if (!executes) return null;
  const retry = node.retry ?? {};
  const set = (key: keyof RetryPolicy, raw: string) => {
    const next = { ...retry };
    if (raw === "") delete next[key];
    else next[key] = Number(raw);
    store.getState().setRetry(node.id, next);
  };
  return (
    <fieldset className="retry-fields">
      <legend>Retries and timeout</legend>
      <p className="muted">Empty fields use this node type{"'"}s defaults.</p>
      {RETRY_FIELDS.map((f) => (
        <div className="form-field form-field-inline" key={f.key}>
          <label htmlFor={`retry-${f.key}`}>{f.label}</label>
          <input id={`retry-${f.key}`} type="number" value={retry[f.key] ?? ""} placeholder={String(defaults[f.key])} onChange={(e) => set(f.key, e.target.value)} onBlur={() => store.getState().endBurst()} />
        </div>
      ))}
    </fieldset>
  );
}
