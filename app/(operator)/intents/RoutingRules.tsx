"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { SaveResult } from "../../_components/SaveResult";
import { useTRPC } from "../../_trpc/client";

interface Rule {
  id: string;
  when: string;
  label: string;
}

const cell = { font: "inherit", padding: "6px 8px", border: "1px solid var(--border-strong)", borderRadius: 6, width: "100%" } as const;

/** The router's rules (JSONata on the intent, tried in order) and its confidence settings; a rule that does not parse is refused naming it. */
export function RoutingRules() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.intent.routing.queryOptions());
  const targets = useQuery(trpc.intent.targets.queryOptions());
  const [edit, setEdit] = useState<{ threshold: string; minSimilarity: string; rules: Rule[] } | undefined>(undefined);
  const save = useMutation(
    trpc.intent.saveRouting.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.intent.routing.queryKey(), saved);
        setEdit(undefined);
      },
    }),
  );
  const form = edit ?? { threshold: String(current.data?.threshold ?? 0.6), minSimilarity: String(current.data?.minSimilarity ?? 0.5), rules: current.data?.rules ?? [] };
  const change = (next: Partial<typeof form>) => setEdit({ ...form, ...next });
  const setRule = (i: number, patch: Partial<Rule>) => change({ rules: form.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ threshold: Number(form.threshold), minSimilarity: Number(form.minSimilarity), rules: form.rules });
  };
  const labels = [...new Set((targets.data ?? []).map((t) => t.label))];

  return (
    <details className="panel">
      <summary>
        <h2 style={{ display: "inline" }}>Routing rules</h2>
      </summary>
      <form onSubmit={submit} className="form" aria-label="Routing rules">
        <p className="muted">
          Rules are tried first, in order: a JSONata condition on the request (<code>text</code>, <code>source</code>, <code>subject</code>, <code>fields</code>) and
          the label of the workflow it sends matching requests to, e.g. <code>$contains($lowercase(text), &quot;refund&quot;)</code>.
        </p>
        <table className="table" data-testid="routing-rules">
          <thead>
            <tr>
              <th style={{ width: 140 }}>Name</th>
              <th>When</th>
              <th style={{ width: 160 }}>Send to</th>
              <th style={{ width: 90 }} />
            </tr>
          </thead>
          <tbody>
            {form.rules.map((rule, i) => (
              <tr key={i}>
                <td>
                  <input aria-label={`Rule ${i + 1} name`} style={cell} value={rule.id} onChange={(e) => setRule(i, { id: e.target.value })} maxLength={40} />
                </td>
                <td>
                  <input aria-label={`Rule ${i + 1} condition`} style={cell} value={rule.when} onChange={(e) => setRule(i, { when: e.target.value })} maxLength={2000} />
                </td>
                <td>
                  <input aria-label={`Rule ${i + 1} label`} style={cell} list="intent-labels" value={rule.label} onChange={(e) => setRule(i, { label: e.target.value })} maxLength={40} />
                </td>
                <td>
                  <button type="button" className="button-quiet" onClick={() => change({ rules: form.rules.filter((_, j) => j !== i) })}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <datalist id="intent-labels">
          {labels.map((l) => (
            <option key={l} value={l} />
          ))}
        </datalist>
        <button type="button" className="button-quiet" onClick={() => change({ rules: [...form.rules, { id: `rule-${form.rules.length + 1}`, when: "", label: labels[0] ?? "" }] })}>
          Add a rule
        </button>
        <div className="form-inline">
          <div className="form-field">
            <label htmlFor="routing-threshold">Route without asking from this confidence (0–1)</label>
            <input id="routing-threshold" inputMode="decimal" value={form.threshold} onChange={(e) => change({ threshold: e.target.value })} />
          </div>
          <div className="form-field">
            <label htmlFor="routing-similarity">Past requests vote from this similarity (0–1)</label>
            <input id="routing-similarity" inputMode="decimal" value={form.minSimilarity} onChange={(e) => change({ minSimilarity: e.target.value })} />
          </div>
        </div>
        <button type="submit" className="button-primary" disabled={save.isPending || current.isPending}>
          Save rules
        </button>
        <SaveResult save={save} />
      </form>
    </details>
  );
}
