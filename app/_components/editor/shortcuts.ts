// Every editor action with its keys: the keyboard handler and the `?` overlay read this one list.
export const SHORTCUTS = [
  { keys: "Ctrl+Z", action: "Undo" },
  { keys: "Ctrl+Shift+Z / Ctrl+Y", action: "Redo" },
  { keys: "Ctrl+C / Ctrl+X / Ctrl+V", action: "Copy, cut, paste nodes (also between workflows and tabs)" },
  { keys: "Ctrl+D", action: "Duplicate the selection" },
  { keys: "Ctrl+A", action: "Select every node" },
  { keys: "Delete / Backspace", action: "Delete the selection" },
  { keys: "/", action: "Search the palette; Enter inserts the first match after the selected node" },
  { keys: "↑ ↓ in the palette, Enter", action: "Pick a node type and insert it after the selected node, connected" },
  { keys: "Tab / Shift+Tab on the canvas", action: "Move between nodes; Enter selects" },
  { keys: "Alt+→ / Alt+←", action: "Select the next / previous node along the edges" },
  { keys: "C", action: "Connect the selected node to the next node you choose (then press Enter on it)" },
  { keys: "Arrow keys", action: "Move the selected nodes (Shift: farther)" },
  { keys: "Ctrl+L", action: "Auto-layout" },
  { keys: "Ctrl+S", action: "Save now" },
  { keys: "Ctrl+Enter", action: "Publish" },
  { keys: "F", action: "Fit the view" },
  { keys: "?", action: "This list" },
] as const;

/** A key event from a text field, a select or a code editor belongs to that field. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.closest(".cm-editor") !== null;
}
