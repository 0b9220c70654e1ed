"use client";

import { memo, useRef, useState } from "react";

// One JSON value in the replay's side panel, as text. A large value (a trigger's input of
// thousands of items) shows its first lines and a button for the rest: laying out every line
// of it again whenever the panel changes node is what made stepping through a long run slow.
// The whole value is one click away; nothing is summarised or altered.

export const PREVIEW_LINES = 60;

const render = (value: unknown) => (value === undefined ? "—" : JSON.stringify(value, null, 2));

/** Same value for display: the same reference, or a plain object whose members are the same references. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!a || !b || typeof a !== "object" || typeof b !== "object" || Array.isArray(a) || Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
}

export const JsonBlock = memo(function JsonBlock({ value }: { value: unknown }) {
  // The step details build the input object afresh on every move; its text is kept while the
  // values inside are the same ones.
  const cache = useRef<{ value: unknown; text: string; lines: number; preview: string } | null>(null);
  if (!cache.current || !sameValue(cache.current.value, value)) {
    const text = render(value);
    let cut = -1;
    let lines = 1;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
      if (lines === PREVIEW_LINES) cut = i;
      lines++;
    }
    cache.current = { value, text, lines, preview: cut >= 0 ? text.slice(0, cut) : text };
  }
  const { text, lines, preview } = cache.current;
  const [expanded, setExpanded] = useState(false);
  if (lines <= PREVIEW_LINES || expanded) return <pre>{text}</pre>;
  return (
    <>
      <pre data-truncated="">{preview}</pre>
      <button type="button" className="button-quiet json-block-more" onClick={() => setExpanded(true)} data-testid="json-show-all">
        Show all {lines.toLocaleString()} lines
      </button>
    </>
  );
});
