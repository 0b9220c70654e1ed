import { afterEach, describe, expect, it, vi } from "vitest";
import { startTicker } from "./ticker";

describe("startTicker", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ticks every interval while the dependency is up, and waits the backoff while it is down", async () => {
    vi.useFakeTimers();
    let ticks = 0;
    let backoff = 0;
    const errors: unknown[] = [];
    const ticker = startTicker(
      {
        tick: async () => {
          ticks++;
          if (backoff > 0) throw new Error("database unreachable");
        },
      },
      { intervalMs: 100, onError: (error) => errors.push(error), backoffMs: () => backoff },
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ticks).toBe(10);

    backoff = 5_000;
    ticks = 0;
    // The tick already scheduled runs and fails; the next waits the backoff, not the interval.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ticks).toBe(1);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ticks).toBe(2);

    backoff = 0;
    await vi.advanceTimersByTimeAsync(5_000);
    // Back at the interval once the dependency is back.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ticks).toBeGreaterThanOrEqual(12);
    await ticker.stop();
    const after = ticks;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ticks).toBe(after);
  });
});
