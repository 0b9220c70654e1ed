"use client";

import { useConnection } from "@xyflow/react";

/**
 * The reason beside the pointer while a refused connection is still being dragged: only while
 * the pointer is on a port (elsewhere nothing would be connected, and the reason would be stale).
 * Output onto output is refused by React Flow before the validator is asked, so it is named here.
 */
export function RefusalAtPointer({ reason }: { reason: string | null }) {
  const at = useConnection((c) =>
    c.inProgress && c.toHandle && !c.isValid ? { x: c.pointer.x, y: c.pointer.y, sameSide: c.toHandle.type === c.fromHandle.type } : null,
  );
  const shown = at?.sameSide ? "Connect an output port to an input port." : reason;
  if (!at || !shown) return null;
  return (
    <div className="canvas-refusal-tip" data-testid="connection-refusal-tip" aria-hidden="true" style={{ transform: `translate(${at.x + 14}px, ${at.y + 14}px)` }}>
      {shown}
    </div>
  );
}
