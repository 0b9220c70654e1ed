"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useEffect, useRef } from "react";
import type { TimelineEvent } from "./timeline";

// The timeline under the canvas: scrubber, step back / forward, play / pause at 1×–10×, and the
// event list (virtualized: a run may have tens of thousands of events). Arrow keys step when
// focus is not in a text field; Home / End jump to the ends.

export const SPEEDS = [1, 2, 5, 10] as const;
export type Speed = (typeof SPEEDS)[number];
/** At 1× the replay shows two events a second. */
export const BASE_STEP_MS = 500;

const ROW = 28;

const typing = (target: EventTarget | null) => {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) && (el as HTMLInputElement).type !== "range";
};

// toLocaleTimeString's own format, made once: building it per row was most of a row's cost
// when a scrubber jump mounts a screenful of new rows.
const TIME = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "numeric", second: "numeric" });

// One row of the event list. Memoized: a step changes two rows (the one left and the one
// reached), and the list must not re-render (and re-format the times of) all the others.
const EventRow = memo(function EventRow({ event, index, top, current, mismatch, onPick }: { event: TimelineEvent; index: number; top: number; current: boolean; mismatch: boolean; onPick: (index: number) => void }) {
  return (
    <button type="button" className={`replay-event${mismatch ? " replay-event-mismatch" : ""}`} style={{ top }} aria-current={current ? "step" : undefined} data-seq={event.seq} onClick={() => onPick(index)}>
      <span className="replay-event-seq">{event.seq}</span>
      <span className="replay-event-type">{event.type}</span>
      <span className="replay-event-node">
        {event.nodeId ?? ""}
        {event.tombstone ? <span className="badge badge-muted"> pruned</span> : null}
        {mismatch ? <span className="badge badge-warning"> checkpoint mismatch</span> : null}
      </span>
      <span className="replay-event-time">{TIME.format(new Date(event.at))}</span>
    </button>
  );
});

export function ReplayTimeline({
  events,
  total,
  index,
  onIndex,
  playing,
  onPlaying,
  speed,
  onSpeed,
  mismatchSeqs,
}: {
  events: readonly TimelineEvent[];
  /** Events the run has, loaded or not. */
  total: number;
  index: number;
  onIndex: (index: number) => void;
  playing: boolean;
  onPlaying: (playing: boolean) => void;
  speed: Speed;
  onSpeed: (speed: Speed) => void;
  mismatchSeqs: ReadonlySet<number>;
}) {
  const last = events.length - 1;
  const listRef = useRef<HTMLDivElement>(null);
  // TanStack Virtual returns fresh functions each render by design; Keel does not run the React
  // Compiler, so nothing memoizes this component behind its back.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count: events.length, getScrollElement: () => listRef.current, estimateSize: () => ROW, overscan: 12 });

  // Keep the current event in view as the replay moves. Rows have one fixed height, and the
  // virtualizer knows the list's offset and height from its scroll and resize observers: the list
  // is scrolled, by the least that shows the row, only when the row is out of view. (The
  // virtualizer's scrollToIndex reads the list's scroll height on every call and again in the
  // frames after, each read a forced layout of the page.)
  // A scroll written here reaches the virtualizer with the next scroll event; until then the
  // offset written is the one that holds.
  const written = useRef<number | null>(null);
  useEffect(() => {
    const list = listRef.current;
    if (index < 0 || !list) return;
    const height = virtualizer.scrollRect?.height || list.clientHeight;
    const offset = written.current ?? virtualizer.scrollOffset ?? list.scrollTop;
    const top = index * ROW;
    const to = top < offset ? top : top + ROW > offset + height ? top + ROW - height : null;
    if (to === null) return;
    list.scrollTop = to;
    written.current = to;
  }, [index, virtualizer]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
      if (document.querySelector("[role=dialog]")) return;
      const to = event.key === "ArrowLeft" ? index - 1 : event.key === "ArrowRight" ? index + 1 : event.key === "Home" ? 0 : event.key === "End" ? last : null;
      if (to === null) return;
      event.preventDefault();
      onPlaying(false);
      onIndex(Math.max(0, Math.min(last, to)));
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [index, last, onIndex, onPlaying]);

  const pick = useCallback(
    (to: number) => {
      onPlaying(false);
      onIndex(to);
    },
    [onPlaying, onIndex],
  );

  const current = events[index];
  return (
    <div className="replay-timeline">
      <div className="replay-controls" role="group" aria-label="Replay controls">
        <button type="button" className="button-quiet" onClick={() => onIndex(Math.max(0, index - 1))} disabled={index <= 0} aria-label="Step back" title="Step back (←)">
          ◀
        </button>
        <button type="button" className="button-quiet" onClick={() => onPlaying(!playing)} disabled={last < 0} aria-label={playing ? "Pause" : "Play"} data-testid="replay-play">
          {playing ? "❚❚ Pause" : "▶ Play"}
        </button>
        <button type="button" className="button-quiet" onClick={() => onIndex(Math.min(last, index + 1))} disabled={index >= last} aria-label="Step forward" title="Step forward (→)">
          ▶▏
        </button>
        <select value={speed} onChange={(e) => onSpeed(Number(e.target.value) as Speed)} aria-label="Speed">
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
        <input
          type="range"
          min={0}
          max={Math.max(0, last)}
          value={Math.max(0, index)}
          onChange={(e) => {
            onPlaying(false);
            onIndex(Number(e.target.value));
          }}
          aria-label="Position in the run"
          aria-valuetext={current ? `event ${current.seq}: ${current.type}` : "no events"}
          data-testid="replay-scrubber"
        />
        <span className="replay-position" data-testid="replay-position" aria-live="polite">
          {current ? `${current.seq} / ${total}` : `0 / ${total}`}
        </span>
      </div>
      <div ref={listRef} className="replay-events" data-testid="replay-events" aria-label="Events" onScroll={() => (written.current = null)}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((row) => (
            <EventRow key={events[row.index]!.seq} event={events[row.index]!} index={row.index} top={row.start} current={row.index === index} mismatch={mismatchSeqs.has(events[row.index]!.seq)} onPick={pick} />
          ))}
        </div>
      </div>
    </div>
  );
}
