import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { dyhpo } from '../../src/hpo/dyhpo.js';
import { expectedImprovement } from '../../src/hpo/freezeThawBo.js';
import { fms } from '../../src/hpo/fms.js';
import { simulate } from '../../src/simulator/simulate.js';
import type { Config, EvalResult, SearchSpace } from '../../src/hpo/types.js';
import { seededRandom } from '../../src/util/random.js';
import { useBackend } from '../helpers/backends.js';
import { kendallTau } from '../../src/landscape/rankCorrelation.js';

const space: SearchSpace = { a: { type: 'float', low: 0, high: 1 }, b: { type: 'float', low: 0, high: 1 } };
const E = 6;
/** Learning curves that converge to (a - 0.3)^2 + (b - 0.6)^2 at rate depending on a. */
const curve = (c: Config, e: number) => {
  const a = c.a as number; const b = c.b as number;
  return (a - 0.3) ** 2 + (b - 0.6) ** 2 + (0.2 + 0.3 * a) / e;
};
const objective = (c: Config, { fidelity }: { fidelity?: number }): EvalResult => ({ loss: curve(c, fidelity ?? E), runtime: fidelity ?? E });
const rand = seededRandom(3);
const candidates: Config[] = Array.from({ length: 24 }, () => ({ a: rand(), b: rand() }));

describe('expectedImprovement', () => {
  it('equals the integral of max(best - f, 0) over N(mean, variance) (trapezoid rule)', () => {
    for (const [m, v, best] of [[0.2, 0.04, 0.3], [0.5, 0.01, 0.3], [0, 1, 0], [1, 0.25, -1]] as const) {
      const sd = Math.sqrt(v);
      let s = 0;
      const h = sd / 200;
      for (let f = m - 10 * sd; f <= m + 10 * sd; f += h) s += Math.max(best - f, 0) * Math.exp(-0.5 * ((f - m) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI)) * h;
      expect(expectedImprovement(m, v, best)).toBeCloseTo(s, 5);
    }
  });
});

describe('dyhpo', () => {
  beforeAll(async () => useBackend('wasm'));

  it('starts at random, then advances one epoch at a time; tells are checked; no tensors leak', async () => {
    const opt = dyhpo({ searchSpace: space, maxResource: E, candidates, seed: 1, fitSteps: 30, refitSteps: 3 });
    const first = [opt.ask(), opt.ask(), opt.ask()] as { config: Config; fidelity: number }[];
    expect(first.map((t) => t.fidelity)).toEqual([1, 1, 1]);
    expect(new Set(first.map((t) => JSON.stringify(t.config))).size).toBe(3);
    for (const t of first) opt.tell(t, objective(t.config, t));
    const seen = new Map<string, number>();
    for (let i = 0; i < 25; i++) {
      const t = opt.ask() as { config: Config; fidelity: number };
      const k = JSON.stringify(t.config);
      const had = seen.get(k) ?? first.filter((f) => JSON.stringify(f.config) === k).length;
      expect(t.fidelity, 'one epoch past what it has').toBe(had + 1);
      seen.set(k, t.fidelity);
      opt.tell(t, objective(t.config, t));
    }
    const steady = tf.memory().numTensors; // the surrogate's own tensors, which persist between asks
    for (let i = 0; i < 5; i++) {
      const t = opt.ask() as { config: Config; fidelity: number };
      opt.tell(t, objective(t.config, t));
    }
    expect(tf.memory().numTensors).toBe(steady);
    expect(() => opt.tell({ config: candidates[0] as Config, fidelity: 2 }, { loss: Infinity, runtime: 1 }))
      .toThrow(/dyhpo: the learning curve value at epoch 2 of \{"a":.*\} must be a number in \(-inf, inf\), got Infinity/);
    expect(() => opt.tell({ config: { a: 0.5, b: 0.5 }, fidelity: 3 }, { loss: 1, runtime: 1 })).toThrow('dyhpo: told epoch 3 of {"a":0.5,"b":0.5}, whose curve has 0 values; dyhpo advances one epoch at a time');
    expect(() => opt.tell({ config: { a: 0.5, b: 0.5 }, fidelity: 7 }, { loss: 1, runtime: 1 })).toThrow('dyhpo: trial.fidelity must be an integer in [1, 6], got 7');
    expect(opt.stats().randomFallbacks).toBe(0);
    opt.dispose();
    expect(tf.memory().numTensors).toBeLessThan(steady);
  });

  it('forecasts final values that rank the configurations like the truth, from partial curves', () => {
    const opt = dyhpo({ searchSpace: space, maxResource: E, candidates, seed: 2, fitSteps: 200, refitSteps: 0, learningRate: 0.02 });
    // Full curves for half the candidates, two epochs of the others.
    candidates.forEach((c, i) => {
      for (let e = 1; e <= (i % 2 === 0 ? E : 2); e++) opt.tell({ config: c, fidelity: e }, objective(c, { fidelity: e }));
    });
    const partial = candidates.filter((_c, i) => i % 2 === 1);
    const tau = kendallTau(Array.from(opt.forecast(partial)), partial.map((c) => curve(c, E)));
    expect(tau).toBeGreaterThan(0.6);
    opt.dispose();
  });

  it('competes in the simulator with continual fidelity: a continued trial is charged one epoch', async () => {
    const opt = dyhpo({ searchSpace: space, maxResource: E, candidates, seed: 3, fitSteps: 20, refitSteps: 2 });
    const { records } = await simulate({ objective, optimizer: opt, nWorkers: 2, nEvals: 30, continualMaxFidelity: E, chargeSamplingTime: false });
    expect(records).toHaveLength(30);
    for (const r of records) expect(r.runtime).toBe(1); // cumulative runtime e, minus the e - 1 already paid
    opt.dispose();
  });
});

describe('fms', () => {
  it('needs a checkpoint source', () => {
    expect(() => fms({ searchSpace: space, maxResource: E } as never)).toThrow(/fms: checkpoints must be a function/);
  });
});
