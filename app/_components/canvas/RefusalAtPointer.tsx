"use client";

import { useConnection } from "@xyflow/react";

/** The reason beside the pointer while the refused connection is still being dragged. */
export function RefusalAtPointer({ reason }: { reason: string | null }) {
  const pointer = useConnection((c) => (c.inProgress ? c.pointer : null));
  if (!reason || !pointer) return null;
  return (
    <div className="canvas-refusal-tip" data-testid="connection-refusal-tip" aria-hidden="true" style={{ transform: `translate(${pointer.x + 14}px, ${pointer.y + 14}px)` }}>
      {reason}
    </div>
  );
}
