/** One benchmark result line, as `npm run bench` prints it (one JSON object per line). */
export interface BenchLine {
  bench: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
  /** The same measure of a baseline run in the same process (e.g. a hand-written tfjs loop). */
  baseline?: number;
  /** `value / baseline`. */
  ratio?: number;
  /** How many interleaved repeats the medians `value` and `baseline` were taken over. */
  repeats?: number;
}

/** Prints one result line to stdout. */
export function report(line: BenchLine): void {
  const out: BenchLine = { ...line };
  if (line.baseline !== undefined) out.ratio = Number((line.value / line.baseline).toFixed(4));
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Median wall time in milliseconds of `fn` over `reps` runs after `warmup` runs. */
export function timeMs(fn: () => void, reps: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}
