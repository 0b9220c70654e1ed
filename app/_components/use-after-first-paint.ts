"use client";

import { useEffect, useState } from "react";

/**
 * False until the browser has painted the first frame after mount: work a page can show a
 * moment later (a 500-node draft's first validation, the minimap) waits for it, so the first
 * paint does not.
 */
export function useAfterFirstPaint(): boolean {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    // A frame callback runs before that frame's paint; a task queued from it runs after.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setPainted(true), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, []);
  return painted;
}
