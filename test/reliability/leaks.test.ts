import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HypergradientOptions, ProblemConfig } from '../../src/index.js';
import { hyperCleaningProblem } from '../../problems/hyperCleaning.js';
import { l2HpoProblem } from '../../problems/l2Hpo.js';
import { lrWdTuningProblem } from '../../problems/lrWdTuning.js';
import { metaWeightNetProblem } from '../../problems/metaWeightNet.js';
import { sinusoidProblem } from '../../problems/sinusoid.js';
import { threeLevelProblem } from '../../problems/threeLevel.js';
import type { ProblemSpec } from '../../problems/types.js';
import { useBackend } from '../helpers/backends.js';
import { toyBilevel } from './toy.js';

beforeAll(async () => useBackend('wasm'));

describe('gradCallback results are freed', () => {
  it('a callback returning new tensors (clipping) leaks nothing per update, whatever the method and precision; dispose frees the rest', async () => {
    const cases: [HypergradientOptions, ProblemConfig, boolean][] = [
      [{ method: 'cg', iterations: 2 }, {}, false], [{ method: 'unrolled' }, {}, true], [{ method: 'unrolled', checkpoints: 'fp32' }, {}, true],
      [{ method: 'cg', iterations: 2 }, { precision: 'fp16', maxSkippedShare: 1 }, false], [{ method: 'es', samples: 2 }, { gradientAccumulation: 2 }, true],
    ];
    for (const [method, config, iterative] of cases) {
      const before = tf.memory().numTensors;
      let calls = 0;
      const t = toyBilevel({ iterative, innerConfig: { hypergradient: method, ...config }, gradCallback: (g) => { calls++; return tf.clipByValue(tf.mul(g, 0.5), -1, 1); } });
      await t.engine.run();
      const mid = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) await t.engine.run();
      expect(tf.memory().numTensors, `${method.method} ${JSON.stringify(config)}`).toBe(mid);
      expect(calls).toBeGreaterThan(30);
      t.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('every ready-made problem frees what it allocates', () => {
  const specs: ProblemSpec[] = [hyperCleaningProblem, l2HpoProblem, lrWdTuningProblem, metaWeightNetProblem, sinusoidProblem, threeLevelProblem] as ProblemSpec[];
  for (const spec of specs) {
    it(`${spec.name}: repeated runs and hypergradients in one process keep tf.memory().numTensors flat (cg, then unrolled or firstOrder)`, async () => {
      const options = { outerSteps: 2, innerSteps: 3, seed: 1 };
      const counts: number[] = [tf.memory().numTensors];
      const second = spec.methods === undefined || spec.methods.includes('unrolled') ? 'unrolled' : 'firstOrder';
      for (const method of [{ method: 'cg', iterations: 2 }, { method: second }, { method: 'cg', iterations: 2 }] as HypergradientOptions[]) {
        const report = await spec.run({ ...options, method });
        counts.push(tf.memory().numTensors);
        await spec.hypergradientAt(report.state, method, options);
        counts.push(tf.memory().numTensors);
      }
      expect(counts, spec.name).toEqual(counts.map(() => counts[0]));
    });
  }
});
