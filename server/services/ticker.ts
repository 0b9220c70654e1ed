/**
 * Runs `task.tick()` every `intervalMs` in the background (never two at once) until stopped;
 * errors go to `onError`. The worker ticks the scheduler and the notifier this way.
 */
export function startTicker(task: { tick(): Promise<unknown> }, options: { intervalMs: number; onError(error: unknown): void }): { stop(): Promise<void> } {
  let current: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    current ??= task
      .tick()
      .catch(options.onError)
      .finally(() => (current = undefined));
  }, options.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
