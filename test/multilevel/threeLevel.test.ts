import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HypergradientOptions } from '../../src/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { hypergradientAt } from '../helpers/multilevel.js';
import { relErr } from './ridge.js';
import { referenceHypergradient, solveB, threeLevelEngine } from './threeLevel.js';

const A0 = [0.7, -0.4];

describe.each(TEST_BACKENDS)('3-level program against central differences of the whole nested solve, on %s', (backend) => {
  beforeAll(async () => useBackend(backend));
  const implicitRef = referenceHypergradient(A0);
  const { b: bStar, c: cStar } = solveB(A0);

  const implicitCases: [string, HypergradientOptions, HypergradientOptions][] = [
    ['cg at both levels', { method: 'cg', iterations: 20 }, { method: 'cg', iterations: 20 }],
    ['neumann at both levels', { method: 'neumann', iterations: 30, alpha: 0.4 }, { method: 'neumann', iterations: 20, alpha: 0.6 }],
    ['fixedPoint at both levels', { method: 'fixedPoint', iterations: 60, alpha: 0.4, tolerance: 1e-6 }, { method: 'fixedPoint', iterations: 40, alpha: 0.6, tolerance: 1e-6 }],
    ['cg in the middle, neumann at the bottom', { method: 'cg', iterations: 20 }, { method: 'neumann', iterations: 20, alpha: 0.6 }],
  ];
  for (const [name, mB, mC] of implicitCases) {
    it(`${name}: the top-level hypergradient matches (relative error < 1e-2)`, () => {
      const g = hypergradientAt(threeLevelEngine(mB, mC), { A: A0, B: bStar, C: cStar }, 'A');
      expect(relErr(g, implicitRef)).toBeLessThan(1e-2);
    });
  }

  it('firstOrder in the middle gives only the direct term rho a (a check that methods are really applied)', () => {
    const g = hypergradientAt(threeLevelEngine({ method: 'firstOrder' }, { method: 'cg', iterations: 20 }), { A: A0, B: bStar, C: cStar }, 'A');
    expect(g).toBeAllClose(A0.map((a) => 0.1 * a), { rtol: 1e-5 });
    expect(relErr(g, implicitRef)).toBeGreaterThan(0.1);
  });

  it('cg in the middle, unrolled (20 steps) at the bottom: matches the nested solve with the 20-step inner map', async () => {
    const steps = 20;
    const ref = referenceHypergradient(A0, steps);
    const { b } = solveB(A0, steps);
    const r = threeLevelEngine({ method: 'cg', iterations: 20 }, { method: 'unrolled' }, true);
    r.A.setParams(tf.tensor1d(A0));
    r.B.setParams(tf.tensor1d(b));
    await r.engine.stepOnly('C', steps);
    const g = r.engine.hypergradient<tf.Tensor>('A');
    expect(relErr(g.dataSync(), ref)).toBeLessThan(1e-2);
    g.dispose();
    r.dispose();
  });
});
