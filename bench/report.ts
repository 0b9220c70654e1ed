// Every benchmark prints one JSON object per line; a ratio compares Keel with a baseline
// measured in the same run (the raw driver, the bare library), so machines can be compared.
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

export function report(name: string, value: number, unit: string, baseline?: number): BenchResult {
  const result: BenchResult = {
    name,
    value: round(value),
    unit,
    baseline: baseline === undefined ? null : round(baseline),
    ratio: baseline === undefined || baseline === 0 ? null : round(value / baseline, 3),
  };
  console.log(JSON.stringify(result));
  return result;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Runs `op` `count` times sequentially and returns operations per second. */
export async function opsPerSecond(count: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await op(i);
  return count / ((performance.now() - started) / 1000);
}
