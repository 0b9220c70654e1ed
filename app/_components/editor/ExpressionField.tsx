"use client";

import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { EditorView } from "@codemirror/view";
import CodeMirror from "@uiw/react-codemirror";
import { useEffect, useMemo, useState } from "react";
import { evaluate, renderTemplate, runData } from "../../../engine/expressions";

// A JSONata or {{ template }} field: CodeMirror 6 with completion of what the expression can
// see (the run input and the outputs of the nodes upstream), and a live preview of the value
// against sample data (the last test run's, when the caller has it).

export interface SampleData {
  input: unknown;
  outputs: Record<string, unknown>;
}

function paths(value: unknown, prefix: string, depth = 0, out: string[] = []): string[] {
  if (depth > 3 || value === null || typeof value !== "object" || Array.isArray(value)) return out;
  for (const [key, child] of Object.entries(value as Record<string, unknown>).slice(0, 50)) {
    const path = `${prefix}.${key}`;
    out.push(path);
    paths(child, path, depth + 1, out);
  }
  return out;
}

export function completionSource(upstream: readonly string[], sample: SampleData) {
  const options = [
    "input",
    ...paths(sample.input, "input"),
    "outputs",
    ...upstream.flatMap((id) => [`outputs.${id}`, ...paths(sample.outputs[id], `outputs.${id}`)]),
  ];
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/[A-Za-z_$][\w$.]*/);
    if (!word && !context.explicit) return null;
    return { from: word?.from ?? context.pos, options: options.map((label) => ({ label, type: "variable" })), validFor: /^[\w$.]*$/ };
  };
}

export function ExpressionField({
  id,
  value,
  kind,
  upstream,
  sample,
  onChange,
  onBlur,
}: {
  id: string;
  value: string;
  kind: "jsonata" | "template";
  upstream: readonly string[];
  sample: SampleData;
  onChange: (value: string) => void;
  onBlur: () => void;
}) {
  const extensions = useMemo(
    () => [autocompletion({ override: [completionSource(upstream, sample)] }), EditorView.lineWrapping, EditorView.contentAttributes.of({ id, "aria-label": id })],
    [upstream, sample, id],
  );
  const [preview, setPreview] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    let live = true;
    const data = runData(sample.input, sample.outputs);
    const timer = setTimeout(() => {
      if (value.trim() === "" || (kind === "template" && !value.includes("{{"))) {
        if (live) setPreview(null);
        return;
      }
      (kind === "jsonata" ? evaluate(value, data) : renderTemplate(value, data)).then(
        (result) => live && setPreview({ ok: true, text: result === undefined ? "(nothing)" : JSON.stringify(result) }),
        (error: unknown) => live && setPreview({ ok: false, text: (error as Error).message }),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [value, kind, sample]);

  return (
    <div className="expression-field">
      <CodeMirror
        value={value}
        onChange={onChange}
        onBlur={onBlur}
        extensions={extensions}
        basicSetup={{ lineNumbers: false, foldGutter: false, highlightActiveLine: false }}
        className="cm-field"
        data-testid={`expression-${id}`}
      />
      <p className={preview && !preview.ok ? "preview preview-error" : "preview"} data-testid="expression-preview" aria-live="polite">
        {preview ? `${kind === "jsonata" ? "=" : "→"} ${preview.text.slice(0, 300)}` : kind === "jsonata" ? "JSONata, e.g. input.amount > 100" : "Text with {{ expressions }}"}
      </p>
    </div>
  );
}
