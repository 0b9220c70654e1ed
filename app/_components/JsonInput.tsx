"use client";

import { json } from "@codemirror/lang-json";
import { EditorView } from "@codemirror/view";
import CodeMirror from "@uiw/react-codemirror";
import { useId, useMemo } from "react";

// JSON typed by the operator (a run's input, a fork's input, a dead letter's edited input):
// CodeMirror with JSON highlighting and bracket matching, checked as it is typed (the line under
// it says what does not parse yet). The caller parses again on submit and names the field.

const language = json();

/** Why the text is not JSON, or null when it is. */
export function jsonProblem(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export function JsonInput({ value, onChange, label, height = "200px", testId, describedBy }: { value: string; onChange: (value: string) => void; label: string; height?: string; testId?: string; describedBy?: string }) {
  const problemId = useId();
  const problem = useMemo(() => jsonProblem(value), [value]);
  // The label and description go on the editable element itself, where assistive technology
  // (and getByLabel) finds the text box.
  const extensions = useMemo(
    () => [language, EditorView.contentAttributes.of({ "aria-label": label, "aria-invalid": problem ? "true" : "false", "aria-describedby": [problemId, describedBy].filter(Boolean).join(" ") })],
    [label, problem, problemId, describedBy],
  );
  return (
    <>
      <div className={problem ? "json-editor json-editor-invalid" : "json-editor"} data-testid={testId} data-valid={problem ? "false" : "true"}>
        <CodeMirror value={value} onChange={onChange} extensions={extensions} height={height} basicSetup={{ foldGutter: false }} />
      </div>
      <p className="json-editor-problem" id={problemId} aria-live="polite" data-testid={testId ? `${testId}-problem` : undefined}>
        {problem ? `Not valid JSON yet: ${problem}` : ""}
      </p>
    </>
  );
}
