"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "../../_trpc/client";

type Field = "baseUrl" | "apiKey";

/** The field an error names (its first issue, else its message's prefix) and the sentence to show. */
function describe(error: { message: string; data?: unknown } | null | undefined): { field: Field | undefined; text: string } | undefined {
  if (!error) return undefined;
  const issue = (error.data as { issues?: { path: string; message: string }[] } | undefined)?.issues?.[0];
  const path = issue?.path ?? error.message.split(":")[0];
  const field = path === "baseUrl" || path === "apiKey" ? path : undefined;
  return { field, text: issue ? `${issue.path}: ${issue.message}` : error.message };
}

/**
 * The OpenAI-compatible endpoint: base URL and a write-only key (shown only as set / not set),
 * a connection test and save. Saved endpoints apply to new LLM steps without a restart.
 */
export function LlmEndpoint() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.settings.llm.queryOptions());
  const [baseUrl, setBaseUrl] = useState<string | undefined>(undefined);
  const [apiKey, setApiKey] = useState("");
  const [removeKey, setRemoveKey] = useState(false);
  const save = useMutation(
    trpc.settings.saveLlmEndpoint.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.settings.llm.queryKey(), saved);
        setBaseUrl(undefined);
        setApiKey("");
        setRemoveKey(false);
      },
    }),
  );
  const test = useMutation(trpc.settings.testLlmConnection.mutationOptions());
  // LLM steps that name no model use the default: offer the server's own models for it.
  const useModel = useMutation(
    trpc.settings.saveLlm.mutationOptions({ onSuccess: (saved) => queryClient.setQueryData(trpc.settings.llm.queryKey(), saved) }),
  );
  const data = current.data;
  const url = baseUrl ?? data?.stored.baseUrl ?? "";
  const keyState = data?.stored.apiKey ? "set" : "not set";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    test.reset();
    save.mutate({ baseUrl: url.trim(), ...(removeKey ? { apiKey: "" } : apiKey ? { apiKey } : {}) });
  };
  const runTest = () => {
    save.reset();
    test.mutate({ ...(url.trim() ? { baseUrl: url.trim() } : {}), ...(apiKey ? { apiKey } : {}) });
  };

  const failed = test.data && !test.data.ok ? test.data : undefined;
  const problem = describe(save.error) ?? describe(test.error) ?? (failed ? { field: failed.field, text: failed.message } : undefined);
  const errorField = problem?.field;
  const errorText = problem?.text;
  const fieldError = (field: Field) =>
    errorField === field && errorText ? (
      <p className="field-error" id={`llm-${field}-error`} role="alert">
        {errorText.replace(/^(baseUrl|apiKey): /, "")}
      </p>
    ) : null;

  return (
    <form onSubmit={submit} noValidate className="form" aria-label="LLM endpoint" data-testid="llm-endpoint-form">
      {data?.environmentWins ? (
        <p className="badge-warning" style={{ padding: "6px 10px", borderRadius: 6 }} data-testid="llm-env-wins">
          OPENAI_BASE_URL / OPENAI_API_KEY are set in the environment and win over what is saved here.
        </p>
      ) : null}
      <label htmlFor="llm-base-url">Base URL</label>
      <input
        id="llm-base-url"
        type="url"
        value={url}
        onChange={(e) => setBaseUrl(e.target.value)}
        placeholder="e.g. http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1"
        aria-invalid={errorField === "baseUrl"}
        aria-describedby={errorField === "baseUrl" ? "llm-baseUrl-error" : undefined}
        maxLength={2_000}
        autoComplete="off"
      />
      {fieldError("baseUrl")}
      <label htmlFor="llm-api-key">
        API key <span className={`badge ${keyState === "set" ? "badge-accent" : "badge-muted"}`} data-testid="llm-key-state">{keyState}</span>
      </label>
      <input
        id="llm-api-key"
        type="password"
        value={apiKey}
        onChange={(e) => setApiKey(e.target.value)}
        placeholder={keyState === "set" ? "Leave empty to keep the stored key" : "Leave empty if the server needs none"}
        aria-invalid={errorField === "apiKey"}
        aria-describedby={errorField === "apiKey" ? "llm-apiKey-error" : undefined}
        autoComplete="new-password"
        disabled={removeKey}
      />
      {fieldError("apiKey")}
      {keyState === "set" ? (
        <label>
          <input type="checkbox" checked={removeKey} onChange={(e) => setRemoveKey(e.target.checked)} /> Remove the stored key
        </label>
      ) : null}
      <p className="muted">Saved endpoints apply to new LLM steps within a few seconds, in every worker, without a restart. The memory embedder stays as it was at start (changing it needs a restart and `keel memory reindex`).</p>
      <div style={{ display: "flex", gap: 8 }}>
        <button type="button" className="button-quiet" style={{ flex: "none", whiteSpace: "nowrap" }} onClick={runTest} disabled={test.isPending || current.isPending}>
          {test.isPending ? "Testing…" : "Test connection"}
        </button>
        <button type="submit" className="button-primary" style={{ flex: "none", whiteSpace: "nowrap" }} disabled={save.isPending || current.isPending}>
          Save endpoint
        </button>
      </div>
      {/* Space kept for the result line, so it appearing does not move the form below. */}
      <p role="status" data-testid="llm-connection" style={{ minHeight: "1.5em", margin: 0 }}>
        {test.data?.ok ? `Connected to ${test.data.host}: ${test.data.models.length} model${test.data.models.length === 1 ? "" : "s"} (${test.data.models.slice(0, 4).join(", ")}${test.data.models.length > 4 ? ", …" : ""}).` : save.isSuccess ? "Endpoint saved." : ""}
      </p>
      {test.data?.ok && test.data.models.length > 0 && data && !data.defaultModel ? (
        <div className="callout" data-testid="llm-pick-model">
          <p style={{ marginTop: 0 }}>No default model is set, so LLM steps that name none (the starter workflows' among them) will fail. Use one of this server's models:</p>
          <div style={{ display: "flex", flexWrap: "wrap", gap: 6 }}>
            {test.data.models.slice(0, 8).map((model) => (
              <button key={model} type="button" className="button-quiet" disabled={useModel.isPending} onClick={() => useModel.mutate({ defaultModel: model, prices: data.prices })}>
                {model}
              </button>
            ))}
          </div>
        </div>
      ) : null}
      {errorText && !errorField ? (
        <p className="form-error" role="alert">
          {errorText}
        </p>
      ) : null}
    </form>
  );
}
