import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { initBackend } from '../src/backend/initBackend.js';
import { cholesky } from '../src/gp/cholesky.js';
import { makeFreezeThaw } from '../src/hpo/freezeThawOptimizers.js';
import type { FreezeThawOptimizer } from '../src/hpo/freezeThawBo.js';
import type { Trial } from '../src/hpo/types.js';
import { configRecord } from '../src/zoo/fineTune.js';
import { defaultZooTable, zooBenchmark } from '../src/zoo/zooBenchmark.js';
import { report } from './report.js';

/** `n` observations of the tabulated zoo, told in arrival-like order: each configuration's epochs 1..k. */
function tellObservations(opt: FreezeThawOptimizer, n: number): void {
  const t = defaultZooTable().tasks.mirror;
  if (t === undefined) throw new Error('bench gp: the zoo table has no mirror task');
  let told = 0;
  // 5 epochs of each configuration first, then the rest: a mix of short and long curves.
  for (const depth of [5, 10]) {
    for (let i = 0; i < t.configs.length && told < n; i++) {
      const config = configRecord(t.configs[i] as never);
      for (let e = depth - 4; e <= depth && told < n; e++) {
        const c = (t.curves[i] as { validError: number }[])[e - 1] as { validError: number };
        opt.tell({ config, fidelity: e }, { loss: c.validError, runtime: 1 });
        told++;
      }
    }
  }
  if (told < n) throw new Error(`bench gp: the table has ${told} observations, fewer than ${n}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * The time of one ask of FMS (and of DyHPO, its baseline in the same process) on the tabulated zoo
 * after 100, 300 and 1,000 observations: a warm ask (the 5-step refit after one new observation,
 * then expected improvement over the candidates), the median of 3 interleaved repeats, and the growth exponent
 * `log(t(1000) / t(100)) / log(10)`. Also the float64 Cholesky factorization against ml-matrix's.
 */
export async function gpBench(): Promise<void> {
  await initBackend();
  const zoo = zooBenchmark();
  const times = new Map<string, number>(); // `${name}/${n}` -> median seconds per ask
  for (const n of [100, 300, 1000]) {
    const opts = new Map(['dyhpo', 'fms'].map((name) => [name, makeFreezeThaw(name, zoo, 0)]));
    const trials = new Map<string, Trial>();
    const reps = new Map<string, number[]>();
    for (const [name, opt] of opts) {
      tellObservations(opt, n);
      trials.set(name, opt.ask()); // fits from scratch (50 steps)
    }
    // Interleaved repeats: one warm ask of each optimizer per repeat, in turn.
    for (let r = 0; r < 3; r++) {
      for (const [name, opt] of opts) {
        const trial = trials.get(name) as Trial;
        opt.tell(trial, await zoo.objective(trial.config, { fidelity: trial.fidelity, seed: 0 }));
        const t0 = performance.now();
        trials.set(name, opt.ask());
        reps.set(name, [...(reps.get(name) ?? []), (performance.now() - t0) / 1000]);
      }
    }
    for (const opt of opts.values()) opt.dispose();
    for (const [name, rs] of reps) times.set(`${name}/${n}`, median(rs));
    const fmsT = times.get(`fms/${n}`) as number;
    const dyT = times.get(`dyhpo/${n}`) as number;
    report({ bench: 'gp', case: `zoo/fms-ask/${n}-observations`, metric: 'time-per-ask', value: Number(fmsT.toFixed(4)), unit: 's', baseline: Number(dyT.toFixed(4)), repeats: 3 });
  }
  for (const name of ['fms', 'dyhpo']) {
    const t100 = times.get(`${name}/100`) as number;
    const t1000 = times.get(`${name}/1000`) as number;
    report({ bench: 'gp', case: `zoo/${name}-ask/growth-100-to-1000`, metric: 'exponent', value: Number((Math.log(t1000 / t100) / Math.log(10)).toFixed(3)), unit: 'log-log slope' });
  }
  // Cholesky of a 1,000 x 1,000 kernel matrix: ours against ml-matrix's (interleaved, median of 3).
  const n = 1000;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = Math.exp(-0.5 * ((i - j) / 50) ** 2) + (i === j ? 1e-3 : 0);
  const m = new Matrix(Array.from({ length: n }, (_r, i) => Array.from(a.subarray(i * n, i * n + n))));
  const ours: number[] = [];
  const lib: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t0 = performance.now();
    cholesky(a, n);
    ours.push(performance.now() - t0);
    t0 = performance.now();
    new CholeskyDecomposition(m);
    lib.push(performance.now() - t0);
  }
  report({ bench: 'gp', case: 'cholesky/1000', metric: 'time', value: Number(median(ours).toFixed(1)), unit: 'ms', baseline: Number(median(lib).toFixed(1)), repeats: 3 });
}
