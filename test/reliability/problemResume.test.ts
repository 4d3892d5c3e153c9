import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hyperCleaningProblem } from '../../problems/hyperCleaning.js';
import { l2HpoProblem } from '../../problems/l2Hpo.js';
import { lrWdTuningProblem } from '../../problems/lrWdTuning.js';
import { metaWeightNetProblem } from '../../problems/metaWeightNet.js';
import { sinusoidProblem } from '../../problems/sinusoid.js';
import { threeLevelProblem } from '../../problems/threeLevel.js';
import type { ProblemReport, ProblemSpec } from '../../problems/types.js';
import type { EngineCheckpoint, HypergradientOptions } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

/** A report without its wall times (the only thing a resumed run may change). */
const timeless = (r: ProblemReport<unknown>) => ({ ...r, history: r.history.map(({ seconds: _s, ...h }) => h), secondsPerOuterStep: 0, peakBytes: 0 });

describe('every ready-made problem resumes from its checkpoints exactly', () => {
  const cases: [ProblemSpec, HypergradientOptions][] = [
    [hyperCleaningProblem as ProblemSpec, { method: 'cg', iterations: 2 }], [l2HpoProblem as ProblemSpec, { method: 'unrolled' }],
    [lrWdTuningProblem as ProblemSpec, { method: 'unrolled' }], [metaWeightNetProblem as ProblemSpec, { method: 'cg', iterations: 2 }],
    [sinusoidProblem as ProblemSpec, { method: 'unrolled' }], [threeLevelProblem as ProblemSpec, { method: 'cg', iterations: 2 }],
  ];
  for (const [spec, method] of cases) {
    it(`${spec.name} (${method.method}): resumed after outer step 2 of 4, the report equals the uninterrupted run's (wall times aside)`, async () => {
      const options = { method, outerSteps: 4, innerSteps: 3, seed: 2 };
      const saved: EngineCheckpoint[] = [];
      const logged: unknown[] = [];
      const full = await spec.run({ ...options, onHistory: (e) => logged.push(e), checkpoint: { every: 1, save: (c) => { saved.push(JSON.parse(JSON.stringify(c))); } } });
      expect(saved).toHaveLength(4);
      expect(logged).toEqual(full.history);
      const before = tf.memory().numTensors;
      const resumedLog: unknown[] = [];
      const resumed = await spec.run({ ...options, onHistory: (e) => resumedLog.push(e), checkpoint: { every: 1, save: () => {}, from: saved[1] } });
      expect(timeless(resumed)).toEqual(timeless(full));
      // Only the steps after the checkpoint are logged again.
      expect(resumedLog.length).toBe(full.history.filter((h) => h.step > 2).length);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
