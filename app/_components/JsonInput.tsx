"use client";

import { json } from "@codemirror/lang-json";
import CodeMirror from "@uiw/react-codemirror";

// JSON typed by the operator (a run's input, a fork's input): CodeMirror with JSON highlighting
// and bracket matching; the caller parses on submit and names what is wrong.

const extensions = [json()];

export function JsonInput({ value, onChange, label, height = "200px", testId }: { value: string; onChange: (value: string) => void; label: string; height?: string; testId?: string }) {
  return (
    <div className="json-editor" data-testid={testId}>
      <CodeMirror value={value} onChange={onChange} extensions={extensions} height={height} basicSetup={{ foldGutter: false }} aria-label={label} />
    </div>
  );
}
