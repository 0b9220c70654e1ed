"use client";

import { useEffect, useRef } from "react";

/** True for key presses that belong to a field being typed in, or that carry a modifier. */
function ignored(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return true;
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  // Enter and Space on a focused button or link activate it; a page shortcut must not take them.
  if ((event.key === "Enter" || event.key === " ") && target.closest("button, a[href], summary")) return true;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || !!target.closest("[role=dialog]");
}

/**
 * Single-key shortcuts for a page (j/k, a, r, e…), ignored while typing in a field or with a
 * dialog open. The latest handlers are used without re-subscribing on every render.
 */
export function useKeys(handlers: Record<string, (event: KeyboardEvent) => void>, enabled = true): void {
  const ref = useRef(handlers);
  useEffect(() => {
    ref.current = handlers;
  });
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (ignored(event)) return;
      const handler = ref.current[event.key];
      if (!handler) return;
      event.preventDefault();
      handler(event);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
