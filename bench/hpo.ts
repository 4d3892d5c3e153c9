import { OPTIMIZERS, type Trial, compareOptimizers, finalIncumbent, makeOptimizer } from '../src/entries/hpo.js';
import { type Benchmark, lcbench, mfHartmann } from '../src/entries/simulator.js';
import { mannWhitneyLess } from '../src/hpo/stats.js';
import { report } from './report.js';

/**
 * Black-box optimizers on MFHartmann6 and LCBench over 10 seeds at the same simulated time:
 * median final incumbent per optimizer (baseline: random search), a one-sided Mann-Whitney
 * p-value that it beats random, and each optimizer's time per ask.
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
  // Optimizer overhead per ask: 500 ask/tell rounds on MFHartmann6 (objective excluded).
  const bench = mfHartmann(6);
  for (const name of OPTIMIZERS) {
    const opt = makeOptimizer(name, bench, 0);
    let askMs = 0;
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      const trial = (await opt.ask()) as Trial;
      askMs += performance.now() - t0;
      const r = await bench.objective(trial.config, { fidelity: trial.fidelity, seed: i });
      await opt.tell(trial, r);
    }
    report({ bench: 'hpo', case: `mfhartmann6/${name}/500-asks`, metric: 'time-per-ask', value: (askMs * 1000) / 500, unit: 'us' });
  }
}
