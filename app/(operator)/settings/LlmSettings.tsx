"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../../_trpc/client";
import { SaveResult } from "../../_components/SaveResult";
import { LlmEndpoint } from "./LlmEndpoint";

interface PriceRow {
  model: string;
  input: string;
  output: string;
}

/** The LLM endpoint as configured (never the key), the default model, and the price table. */
export function LlmSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.settings.llm.queryOptions());
  const [edit, setEdit] = useState<{ defaultModel: string; rows: PriceRow[] } | undefined>(undefined);
  const save = useMutation(
    trpc.settings.saveLlm.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.settings.llm.queryKey(), saved);
        setEdit(undefined);
      },
    }),
  );
  const form = edit ?? {
    defaultModel: current.data?.defaultModel ?? "",
    rows: Object.entries(current.data?.prices ?? {}).map(([model, p]) => ({ model, input: String(p.input), output: String(p.output) })),
  };
  const change = (next: Partial<typeof form>) => setEdit({ ...form, ...next });
  const setRow = (i: number, patch: Partial<PriceRow>) => change({ rows: form.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({
      defaultModel: form.defaultModel,
      prices: Object.fromEntries(form.rows.filter((r) => r.model.trim()).map((r) => [r.model.trim(), { input: Number(r.input), output: Number(r.output) }])),
    });
  };
  const endpoint = current.data?.endpoint;

  return (
    <section className="panel" aria-labelledby="llm-heading">
      <h2 id="llm-heading">LLM</h2>
      <p className="muted" data-testid="llm-endpoint">
        {endpoint === undefined
          ? "…"
          : endpoint.configured
            ? `Endpoint: ${endpoint.host}${endpoint.apiKey ? ", with an API key" : ", without an API key"} (from ${endpoint.source === "environment" ? "the environment" : "Settings"}).`
            : "No endpoint is configured: set one below (any OpenAI-compatible server: OpenAI, Ollama, vLLM, LM Studio), or OPENAI_BASE_URL and OPENAI_API_KEY in the environment. Until then workflows with LLM steps cannot be published."}
      </p>
      <h3>Endpoint</h3>
      <LlmEndpoint />
      <h3>Model and prices</h3>
      {endpoint?.configured && current.data && !current.data.defaultModel ? (
        <p className="badge-warning" style={{ padding: "6px 10px", borderRadius: 6 }} data-testid="llm-no-default-model">
          No default model: LLM steps that name none (the starter workflows&apos; among them) fail until one is set here.
        </p>
      ) : null}
      <form onSubmit={submit} className="form" aria-label="LLM settings">
        <label htmlFor="llm-default-model">Default model (for LLM steps that name none)</label>
        <input id="llm-default-model" value={form.defaultModel} onChange={(e) => change({ defaultModel: e.target.value })} placeholder="e.g. gpt-4o-mini" maxLength={200} />
        <p className="muted">Prices per million tokens, in the cost units runs add up (e.g. dollars).</p>
        <table className="table" data-testid="llm-prices">
          <thead>
            <tr>
              <th>Model</th>
              <th>Input</th>
              <th>Output</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {form.rows.map((row, i) => (
              <tr key={i}>
                <td>
                  <input aria-label={`Model ${i + 1}`} value={row.model} onChange={(e) => setRow(i, { model: e.target.value })} maxLength={200} />
                </td>
                <td>
                  <input aria-label={`Input price ${i + 1}`} inputMode="decimal" value={row.input} onChange={(e) => setRow(i, { input: e.target.value })} style={{ width: 100 }} />
                </td>
                <td>
                  <input aria-label={`Output price ${i + 1}`} inputMode="decimal" value={row.output} onChange={(e) => setRow(i, { output: e.target.value })} style={{ width: 100 }} />
                </td>
                <td>
                  <button type="button" className="button-quiet" onClick={() => change({ rows: form.rows.filter((_, j) => j !== i) })}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div>
          <button type="button" className="button-quiet" onClick={() => change({ rows: [...form.rows, { model: "", input: "0", output: "0" }] })}>
            Add a model price
          </button>
        </div>
        <button type="submit" className="button-primary" disabled={save.isPending || current.isPending}>
          Save LLM settings
        </button>
      </form>
      <SaveResult save={save} saved="LLM settings saved." />
    </section>
  );
}
