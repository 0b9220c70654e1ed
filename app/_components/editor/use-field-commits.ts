"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { FieldValues, Path, UseFormReturn } from "react-hook-form";

// The bridge between a node's config form (react-hook-form holds what is typed) and the editor
// store (which holds the graph). Keystrokes stay in the form; a field's value reaches the store
// when the field is left, or after a pause in typing, as one command: undo, live validation and
// autosave then see whole values instead of every character. A change that arrives from the
// store instead (undo, redo, a restored draft) replaces what the form shows.

/** A pause in typing this long commits the field. */
export const COMMIT_DELAY_MS = 400;

export interface FieldCommits<T extends FieldValues> {
  /** The form's value changed: commit it after a pause (or at once, for choices). */
  changed(key: Path<T>, options?: { now?: boolean }): void;
  /** The field was left: commit what is pending and close its undo entry. */
  left(key: Path<T>): void;
  /** Writes a value into the form and the store as one command (an example inserted). */
  put(key: Path<T>, value: unknown): void;
  /** Keys typed in but not committed yet: their problems in the store are about the old value. */
  pending: ReadonlySet<string>;
}

export function useFieldCommits<T extends FieldValues>({
  form,
  stored,
  write,
  endBurst,
  onPending,
}: {
  form: UseFormReturn<T>;
  /** What the store holds now, by form key. */
  stored: Record<string, unknown>;
  write: (key: Path<T>, value: unknown) => void;
  endBurst: () => void;
  /** Whether any field has typed input waiting (the save status says "unsaved" meanwhile). */
  onPending?: (any: boolean) => void;
}): FieldCommits<T> {
  // What this form last sent to (or received from) the store, by key: a store value that differs
  // from it came from elsewhere.
  const known = useRef<Record<string, unknown>>({ ...stored });
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const [pending, setPending] = useState<ReadonlySet<string>>(() => new Set());
  const mark = useCallback((key: string, on: boolean) => {
    setPending((current) => {
      if (current.has(key) === on) return current;
      const next = new Set(current);
      if (on) next.add(key);
      else next.delete(key);
      return next;
    });
  }, []);
  const writeRef = useRef(write);
  useEffect(() => {
    writeRef.current = write;
  }, [write]);
  const pendingRef = useRef(onPending);
  useEffect(() => {
    pendingRef.current = onPending;
  }, [onPending]);
  useEffect(() => {
    pendingRef.current?.(pending.size > 0);
  }, [pending]);
  useEffect(() => () => pendingRef.current?.(false), []);

  const commit = useCallback(
    (key: Path<T>) => {
      clearTimeout(timers.current.get(key));
      timers.current.delete(key);
      mark(key, false);
      const value = form.getValues(key) as unknown;
      known.current[key] = value;
      writeRef.current(key, value);
    },
    [form, mark],
  );

  // Undo, redo, paste, a reloaded draft: the store changed under the form.
  useEffect(() => {
    for (const [key, value] of Object.entries(stored)) {
      if (Object.is(value, known.current[key])) continue;
      clearTimeout(timers.current.get(key));
      timers.current.delete(key);
      mark(key, false);
      known.current[key] = value;
      form.setValue(key as Path<T>, value as never, { shouldDirty: false });
    }
  }, [stored, form, mark]);

  // Nothing typed is lost: what is pending is committed when the panel closes or the page goes.
  useEffect(() => {
    const pending = timers.current;
    const flush = () => {
      for (const key of [...pending.keys()]) commit(key as Path<T>);
    };
    // Capture: before the draft's own beforeunload check, so it sees the edit as unsaved.
    window.addEventListener("pagehide", flush, true);
    window.addEventListener("beforeunload", flush, true);
    return () => {
      window.removeEventListener("pagehide", flush, true);
      window.removeEventListener("beforeunload", flush, true);
      flush();
    };
  }, [commit]);

  return {
    changed(key, options) {
      if (options?.now) {
        commit(key);
        return;
      }
      clearTimeout(timers.current.get(key));
      timers.current.set(
        key,
        setTimeout(() => commit(key), COMMIT_DELAY_MS),
      );
      mark(key, true);
    },
    left(key) {
      if (timers.current.has(key)) commit(key);
      endBurst();
    },
    put(key, value) {
      form.setValue(key, value as never);
      commit(key);
      endBurst();
    },
    pending,
  };
}
