import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { softmaxCrossEntropyOp } from '../../src/autodiff/rules/softmaxCrossEntropy.js';
import { timesTransposed, transposedTimes } from '../../src/autodiff/rules/matMul.js';
import { sumAxes } from '../../src/autodiff/rules/ruleUtil.js';
import { type KernelSpec, floats, shapes, size } from '../helpers/ruleHarness.js';

const any = (n: number) => floats(n, -2, 2);
const sq = (t: tf.Tensor) => tf.mul(t, t);

/** Random label weights of `shape`: one-hot rows, or positive rows that need not sum to 1. */
function labels(shape: number[]): fc.Arbitrary<number[]> {
  const classes = shape[shape.length - 1] as number;
  const rows = size(shape) / classes;
  const oneHot = fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: rows, maxLength: rows })
    .map((ks) => ks.flatMap((k) => Array.from({ length: classes }, (_v, j) => (j === k ? 1 : 0))));
  return fc.oneof(oneHot, floats(size(shape), 0, 1));
}

/**
 * hypergrad's recorded ops (`customVjp` ops with hand-written derivatives, named `hypergrad.<op>`
 * on the tape): each checked like a kernel rule, first and second order, with every input
 * differentiated.
 */
export const recordedOpSpecs: KernelSpec[] = [
  {
    kernel: 'hypergrad.softmaxCrossEntropy',
    // Logits alone (constant labels), per row or reduced with a scale; or labels and logits both.
    cases: fc.tuple(shapes(1, 3, 4).filter((s) => (s[s.length - 1] as number) >= 2), fc.constantFrom(undefined, 1, 0.25), fc.boolean())
      .chain(([s, scale, withLabels]) => fc.tuple(labels(s), any(size(s))).map(([y, z]) => () => {
        const yt = tf.tensor(y, s);
        return withLabels
          ? { x: [yt, tf.tensor(z, s)], f: (x: unknown) => softmaxCrossEntropyOp((x as tf.Tensor[])[0] as tf.Tensor, (x as tf.Tensor[])[1] as tf.Tensor, scale) }
          : { x: tf.tensor(z, s), f: (x: unknown) => softmaxCrossEntropyOp(yt, x as tf.Tensor, scale) };
      })),
  },
  {
    kernel: 'hypergrad.transposedTimes',
    cases: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
      .chain(([n, p, q]) => fc.tuple(any(n * p), any(n * q)).map(([a, g]) => () => ({
        x: [tf.tensor(a, [n, p]), tf.tensor(g, [n, q])],
        f: (x: unknown) => sq(transposedTimes((x as tf.Tensor[])[0] as tf.Tensor, (x as tf.Tensor[])[1] as tf.Tensor)),
      }))),
  },
  {
    kernel: 'hypergrad.timesTransposed',
    cases: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }))
      .chain(([m, k, p]) => fc.tuple(any(m * k), any(p * k)).map(([g, b]) => () => ({
        x: [tf.tensor(g, [m, k]), tf.tensor(b, [p, k])],
        f: (x: unknown) => sq(timesTransposed((x as tf.Tensor[])[0] as tf.Tensor, (x as tf.Tensor[])[1] as tf.Tensor)),
      }))),
  },
  {
    kernel: 'hypergrad.sumLeading',
    // A sum over the first k axes (k < rank), with or without keepDims (a bias's gradient).
    cases: fc.tuple(shapes(2, 3), fc.integer({ min: 1, max: 2 }), fc.boolean())
      .chain(([s, k, keep]) => any(size(s)).map((v) => () => ({
        x: tf.tensor(v, s),
        f: (x: unknown) => sq(sumAxes(x as tf.Tensor, Array.from({ length: Math.min(k, s.length - 1) }, (_d, i) => i), keep)),
      }))),
  },
];
