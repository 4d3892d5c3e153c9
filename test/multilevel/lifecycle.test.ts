import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, type HypergradientOptions, ImplicitProblem, IterativeProblem, type StepContext, adam, sgd } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

beforeAll(async () => useBackend('wasm'));

describe('problem lifecycle', () => {
  it("building problems and an engine, running and disposing leaves no tensor behind, whatever each problem records (the parent reads only part of the lower problem's parameters)", async () => {
    const cases: [HypergradientOptions, boolean, boolean][] = [
      [{ method: 'cg', iterations: 2 }, false, false], [{ method: 'cg', iterations: 2 }, false, true], [{ method: 'unrolled' }, true, false],
      [{ method: 'unrolled', checkpoints: 'fp32' }, true, false], [{ method: 'es', samples: 2 }, true, false], [{ method: 'sama' }, false, false],
    ];
    for (const [method, iterative, rollBack] of cases) {
      const before = tf.memory().numTensors;
      const make = () => ({ w: tf.zeros([3]), b: tf.scalar(0) as tf.Tensor });
      const w0 = make();
      const options = {
        name: 'inner', module: { params: w0 }, optimizer: adam({ lr: 0.1 }), data: () => ({ x: tf.randomNormal([4, 3]) }), config: { hypergradient: method, unrollSteps: 3, rollBack },
        trainingStep: (bt: { x: tf.Tensor }, ctx: StepContext<{ w: tf.Tensor; b: tf.Tensor }>) =>
          tf.mean(tf.square(tf.sub(tf.add(tf.matMul(bt.x, tf.reshape(ctx.params.w, [3, 1])), ctx.params.b), ctx.get<tf.Tensor>('outer')))),
      };
      const inner = iterative ? new IterativeProblem(options) : new ImplicitProblem(options);
      const a0 = tf.scalar(1);
      const outer = new ImplicitProblem<tf.Tensor, number>({
        name: 'outer', module: { params: a0 }, optimizer: sgd({ lr: 0.01 }), data: [0],
        trainingStep: (_b, ctx) => tf.sum(tf.square(ctx.get<{ w: tf.Tensor }>('inner').w)),
      });
      tf.dispose([w0.w, w0.b, a0]);
      const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } }, config: { iterations: 7 } });
      await engine.run();
      engine.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
