/**
 * Runs `task.tick()` every `intervalMs` in the background (never two at once) until stopped;
 * errors go to `onError`. The worker ticks the scheduler and the notifier this way. With
 * `backoffMs` (the worker's database watch), the wait between ticks grows to it while a
 * dependency is down, so an outage is not polled at full rate by every loop.
 */
export function startTicker(
  task: { tick(): Promise<unknown> },
  options: { intervalMs: number; onError(error: unknown): void; backoffMs?: () => number },
): { stop(): Promise<void> } {
  let current: Promise<unknown> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, Math.max(options.intervalMs, options.backoffMs?.() ?? 0));
  };
  const tick = () => {
    current = task
      .tick()
      .catch(options.onError)
      .finally(() => {
        current = undefined;
        schedule();
      });
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
