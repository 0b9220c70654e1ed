import type { NodeCategory } from "../../../engine/registry";

// The descriptor names its icon (nodes/*: `icon`); one small glyph per name, drawn as text so
// the canvas needs no icon font or image requests. Only glyphs common system fonts (DejaVu,
// Segoe UI Symbol) carry. Unknown names fall back to the category's.
const GLYPHS: Record<string, string> = {
  play: "▶",
  webhook: "↯",
  clock: "◷",
  calendar: "▦",
  split: "⋔",
  route: "⇶",
  merge: "⇥",
  "git-merge": "⤙",
  function: "ƒ",
  braces: "{}",
  edit: "✎",
  repeat: "↻",
  refresh: "↻",
  columns: "⇉",
  "check-circle": "✓",
  "check-square": "☑",
  clipboard: "☰",
  layers: "❐",
  flag: "⚑",
  globe: "⇄",
  user: "☺",
  search: "◎",
  "file-text": "▤",
  mail: "✉",
  bell: "◉",
  sparkles: "✦",
  tags: "#",
  bookmark: "❖",
};

const BY_CATEGORY: Record<NodeCategory, string> = { trigger: "▶", logic: "⋔", human: "☺", adapter: "⇄" };

export function NodeIcon({ icon, category }: { icon: string | undefined; category: NodeCategory | undefined }) {
  const glyph = (icon && GLYPHS[icon]) ?? (category ? BY_CATEGORY[category] : "?");
  return (
    <span className={`kn-icon kn-icon-${category ?? "unknown"}`} aria-hidden="true">
      {glyph}
    </span>
  );
}

export const CATEGORY_LABELS: Record<NodeCategory, string> = {
  trigger: "Triggers",
  logic: "Logic and flow",
  human: "People",
  adapter: "Integrations",
};
