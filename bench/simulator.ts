import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AskTellOptimizer } from '../src/hpo/index.js';
import { SimulationFinished, asyncSimulator, createFileSimulator, lcbench, mfBranin, simulate } from '../src/simulator/index.js';
import { seededRandom } from '../src/util/random.js';
import { report } from './report.js';

/** A trivial optimizer: uniform random points in the unit square (its cost is part of the overhead). */
function trivial(seed: number): AskTellOptimizer {
  const r = seededRandom(seed);
  return { ask: () => ({ config: { x0: r(), x1: r() }, fidelity: 100 }), tell: () => {} };
}

/** Simulator overhead per evaluation (vs a bare ask/evaluate/tell loop) and simulated/wall time on LCBench. */
export async function simulatorBench(): Promise<void> {
  const bench = mfBranin();
  const nEvals = 10_000;
  // Bare loop: the same calls without any simulation, the floor any simulator pays.
  const bare = async () => {
    const opt = trivial(0);
    const t0 = performance.now();
    for (let i = 0; i < nEvals; i++) {
      const trial = await opt.ask();
      const result = await bench.objective(trial.config, { fidelity: trial.fidelity, seed: i });
      await opt.tell(trial, result);
    }
    return ((performance.now() - t0) * 1000) / nEvals;
  };
  for (const nWorkers of [4, 32]) {
    let best = Infinity;
    let baseline = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      baseline = Math.min(baseline, await bare());
      const t0 = performance.now();
      await simulate({ objective: bench.objective, optimizer: trivial(0), nWorkers, nEvals });
      best = Math.min(best, ((performance.now() - t0) * 1000) / nEvals);
    }
    report({ bench: 'simulator', case: `mfbranin/${nWorkers}-workers/${nEvals}-evals/single-process`, metric: 'time-per-eval', value: best, unit: 'us', baseline });
  }
  // Multi-worker modes: async workers in this process, and worker threads through the file store.
  for (const nWorkers of [4, 32]) {
    const t0 = performance.now();
    const sim = asyncSimulator({ objective: bench.objective, nWorkers, nEvals });
    await Promise.all(Array.from({ length: nWorkers }, async (_v, w) => {
      const r = seededRandom(w);
      const worker = sim.worker();
      try {
        for (;;) await worker.evaluate({ x0: r(), x1: r() }, 100);
      } catch (e) {
        if (!(e instanceof SimulationFinished)) throw e;
      }
    }));
    report({ bench: 'simulator', case: `mfbranin/${nWorkers}-workers/${nEvals}-evals/async-workers`, metric: 'time-per-eval', value: ((performance.now() - t0) * 1000) / nEvals, unit: 'us' });
    const fileEvals = 2000;
    const dir = mkdtempSync(join(process.env.HG_BENCH_DIR ?? tmpdir(), 'hg-bench-'));
    createFileSimulator(dir, { nWorkers, nEvals: fileEvals });
    const t1 = performance.now();
    await Promise.all(Array.from({ length: nWorkers }, (_v, w) => new Promise<void>((ok, fail) => {
      const t = new Worker(new URL('./fileWorker.js', import.meta.url), { workerData: { dir, w } });
      t.on('error', fail);
      t.on('exit', () => ok());
    })));
    report({ bench: 'simulator', case: `mfbranin/${nWorkers}-workers/${fileEvals}-evals/file-store-threads`, metric: 'time-per-eval', value: ((performance.now() - t1) * 1000) / fileEvals, unit: 'us' });
  }
  const lc = lcbench('3945');
  await lc.objective({ batch_size: 91, learning_rate: 0.003, momentum: 0.5, weight_decay: 0.01, num_layers: 2, max_units: 256, max_dropout: 0.5 }, { seed: 0 });
  const r = seededRandom(1);
  const u = (lo: number, hi: number, log = false) => (log ? Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo))) : lo + r() * (hi - lo));
  const t0 = performance.now();
  const { records } = await simulate({
    objective: lc.objective, nWorkers: 8, nEvals: 500,
    optimizer: {
      ask: () => ({
        config: { batch_size: Math.round(u(16, 512, true)), learning_rate: u(1e-4, 0.1, true), momentum: u(0.1, 0.99), weight_decay: u(1e-5, 0.1), num_layers: Math.round(u(1, 5)), max_units: Math.round(u(64, 1024, true)), max_dropout: u(0, 1) },
        fidelity: 52,
      }),
      tell: () => {},
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const simulated = records[records.length - 1]?.cumtime ?? 0;
  report({ bench: 'simulator', case: 'lcbench-3945/8-workers/500-evals', metric: 'simulated-per-wall', value: simulated / wall, unit: 'x' });
}
