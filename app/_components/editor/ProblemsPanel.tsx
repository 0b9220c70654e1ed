"use client";

import { memo } from "react";
import type { Problem } from "../../../engine/graph/problems";
import { problemText } from "../canvas/problem-text";

// Every problem of the draft, live; a click (or Enter) focuses the node or edge it concerns.
export const ProblemsPanel = memo(function ProblemsPanel({ problems, onFocus }: { problems: readonly Problem[]; onFocus: (p: Problem) => void }) {
  return (
    <section className="problems-panel" aria-labelledby="problems-heading" data-testid="problems-panel">
      <h2 id="problems-heading">
        {problems.length === 0 ? "No problems" : `${problems.length} problem${problems.length === 1 ? "" : "s"}`}
        <span className="muted"> {problems.length ? "— fix them to publish" : "— ready to publish"}</span>
      </h2>
      {problems.length ? (
        <ul>
          {problems.slice(0, 200).map((p, i) => (
            <li key={`${p.path}-${p.code}-${i}`}>
              <button
                type="button"
                className="problem-item"
                // Focus stays in a config field until the click is done: leaving the field commits
                // its value, which changes this list (and its height) between press and release.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => onFocus(p)}
                data-testid="problem-item"
              >
                <code>{p.nodeId ?? p.edgeId ?? "graph"}</code> {problemText(p, "list")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
});
