"use client";

import { memo, useMemo, useState, type DragEvent, type KeyboardEvent } from "react";
import type { AnyNodeMeta, NodeCategory, NodeRegistry } from "../../../engine/registry";
import { PALETTE_MIME } from "../canvas/EditorCanvas";
import { CATEGORY_LABELS, NodeIcon } from "../canvas/icons";

// Generated from the registry: every current node type, by category, searchable by title,
// type and description. Drag one onto the canvas, or press Enter (or click) to insert it after
// the selected node, connected.

const ORDER: NodeCategory[] = ["trigger", "logic", "human", "adapter"];

export const Palette = memo(function Palette({ registry, onInsert }: { registry: NodeRegistry; onInsert: (type: string) => void }) {
  const [query, setQuery] = useState("");
  const types = useMemo(() => registry.all().filter((m) => !m.deprecated && registry.latest(m.type) === m), [registry]);
  const shown = useMemo(() => {
    const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
    return types.filter((m) => words.every((w) => `${m.title} ${m.type} ${m.description}`.toLowerCase().includes(w)));
  }, [types, query]);
  const groups = ORDER.map((category) => ({ category, items: shown.filter((m) => m.category === category) })).filter((g) => g.items.length);

  const onSearchKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter" && shown[0]) {
      event.preventDefault();
      onInsert(shown[0].type);
      // Typing the next type's name replaces this one: a chain of nodes without the mouse.
      event.currentTarget.select();
    } else if (event.key === "Escape") {
      // Back to the editor's shortcuts.
      setQuery("");
      event.currentTarget.blur();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      (event.currentTarget.closest(".palette")?.querySelector(".palette-item") as HTMLElement | null)?.focus();
    }
  };

  return (
    <aside className="palette" aria-label="Node palette" data-testid="palette">
      <input
        type="search"
        className="palette-search"
        placeholder="Search nodes  ( / )"
        aria-label="Search nodes"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onSearchKey}
        data-palette-search
      />
      {groups.length === 0 ? <p className="muted palette-none">No node type matches “{query}”.</p> : null}
      {groups.map((g) => (
        <section key={g.category} className="palette-group">
          <h3>{CATEGORY_LABELS[g.category]}</h3>
          <ul>
            {g.items.map((meta) => (
              <PaletteItem key={meta.type} meta={meta} onInsert={onInsert} />
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
});

function PaletteItem({ meta, onInsert }: { meta: AnyNodeMeta; onInsert: (type: string) => void }) {
  const onDragStart = (event: DragEvent) => {
    event.dataTransfer.setData(PALETTE_MIME, meta.type);
    event.dataTransfer.effectAllowed = "copy";
  };
  const onKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const move = event.key === "ArrowDown" ? 1 : event.key === "ArrowUp" ? -1 : 0;
    if (!move) return;
    event.preventDefault();
    const items = [...(event.currentTarget.closest(".palette")?.querySelectorAll<HTMLElement>(".palette-item") ?? [])];
    items[items.indexOf(event.currentTarget) + move]?.focus();
  };
  return (
    <li>
      <button
        type="button"
        className="palette-item"
        draggable
        onDragStart={onDragStart}
        onClick={() => onInsert(meta.type)}
        onKeyDown={onKey}
        data-testid={`palette-${meta.type}`}
        title={meta.description}
      >
        <NodeIcon icon={meta.icon} category={meta.category} />
        <span className="palette-text">
          <span className="palette-title">{meta.title}</span>
          <span className="palette-description">{meta.description}</span>
        </span>
      </button>
    </li>
  );
}
