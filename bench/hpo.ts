import { type Benchmark, type EvalResult, type Trial, makeOptimizer, mannWhitneyLess, sampleConfig } from '../src/hpo/index.js';
import { compareOptimizers, finalIncumbent, lcbench, mfHartmann } from '../src/simulator/index.js';
import { seededRandom } from '../src/util/random.js';
import { type BenchLine, report } from './report.js';

/**
 * Black-box optimizers on MFHartmann6 and LCBench over 10 seeds at the same simulated time:
 * median final incumbent per optimizer (baseline: random search), a one-sided Mann-Whitney
 * p-value that it beats random; then each optimizer's time per ask as its history grows
 * (see {@link askTimeBench}).
 */
export async function hpoBench(): Promise<void> {
  const cases: [Benchmark, number, number][] = [[mfHartmann(6), 4, 50 * 3600], [lcbench('3945'), 8, 3 * 3600]];
  for (const [benchmark, nWorkers, maxTotalEvalTime] of cases) {
    const runs = await compareOptimizers({ benchmark, optimizers: ['random', 'hyperband', 'asha', 'bohb'], nWorkers, nEvals: 1_000_000, seeds: 10, maxTotalEvalTime });
    const finals = new Map([...runs].map(([name, rs]) => [name, rs.map((r) => finalIncumbent(r))]));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const rnd = finals.get('random') as number[];
    for (const name of ['hyperband', 'asha', 'bohb']) {
      const xs = finals.get(name) as number[];
      const c = `${benchmark.name}/${nWorkers}-workers/${maxTotalEvalTime / 3600}h/10-seeds/${name}`;
      report({ bench: 'hpo', case: c, metric: 'median-final-incumbent', value: median(xs), unit: 'loss', baseline: median(rnd) });
      report({ bench: 'hpo', case: c, metric: 'p-value-better-than-random', value: mannWhitneyLess(xs, rnd).p, unit: 'p' });
    }
  }
  await askTimeBench();
}

/** The ask-time measures: history sizes, the window of asks averaged before each, loop repeats for the cheap optimizers. */
const AT = [1_000, 10_000, 100_000];
const WINDOW = 500;

/**
 * Time per ask as the history grows, per optimizer, on MFHartmann6 (objective excluded): the mean
 * ask time over the 500 asks before 1,000, 10,000 and 100,000 sequential ask/tell evaluations, with
 * the 1,000 figure as the baseline (a ratio near 1 is flat). Random search, Hyperband and ASHA
 * run the loop 3 times (median reported), BOHB once (its asks fit a model: about 100,000 x a few
 * ms), each after a 2,000-evaluation warm-up. TPE's history is built by telling random observations (its tell only records them) and 20
 * asks are timed at each size: its model sums a kernel per observation, so it grows linearly.
 */
async function askTimeBench(): Promise<void> {
  const bench = mfHartmann(6);
  for (const name of ['random', 'hyperband', 'asha', 'bohb'] as const) {
    const repeats = name === 'bohb' ? 1 : 3;
    const byRepeat: number[][] = [];
    // Warm-up (JIT) on a throwaway optimizer, so that the 1,000 figure is not the compiler's.
    const warm = makeOptimizer(name, bench, 99);
    for (let i = 0; i < 2000; i++) {
      const t = (await warm.ask()) as Trial;
      await warm.tell(t, await bench.objective(t.config, { fidelity: t.fidelity, seed: i }));
    }
    for (let rep = 0; rep < repeats; rep++) {
      const opt = makeOptimizer(name, bench, rep);
      const means: number[] = [];
      let acc = 0;
      for (let i = 1; i <= (AT[AT.length - 1] as number); i++) {
        const t0 = performance.now();
        const trial = (await opt.ask()) as Trial;
        const dt = performance.now() - t0;
        const next = AT[means.length] as number;
        if (i > next - WINDOW) acc += dt;
        await opt.tell(trial, await bench.objective(trial.config, { fidelity: trial.fidelity, seed: i }));
        if (i === next) {
          means.push((acc * 1000) / WINDOW);
          acc = 0;
        }
      }
      byRepeat.push(means);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const at = AT.map((_n, k) => median(byRepeat.map((m) => m[k] as number)));
    AT.forEach((n, k) => report({
      bench: 'hpo', case: `mfhartmann6/${name}/ask-at-${n}-evals`, metric: 'time-per-ask', value: at[k] as number, unit: 'us', baseline: at[0] as number, repeats,
    } as BenchLine));
  }
  const rand = seededRandom(0);
  const opt = makeOptimizer('tpe', bench, 0);
  let told = 0;
  let first = 0;
  for (const n of AT) {
    for (; told < n; told++) {
      const config = sampleConfig(bench.searchSpace, rand);
      await opt.tell({ config, fidelity: 100 }, (await bench.objective(config, { fidelity: 100, seed: told })) as EvalResult);
    }
    const asks = n >= 100_000 ? 5 : 20;
    const t0 = performance.now();
    for (let i = 0; i < asks; i++) await opt.ask();
    const us = ((performance.now() - t0) * 1000) / asks;
    first ||= us;
    report({ bench: 'hpo', case: `mfhartmann6/tpe/ask-at-${n}-observations`, metric: 'time-per-ask', value: us, unit: 'us', baseline: first, repeats: 1 } as BenchLine);
  }
}
