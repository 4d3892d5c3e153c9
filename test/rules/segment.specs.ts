import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type KernelSpec, floats } from '../helpers/ruleHarness.js';

const sq = (t: tf.Tensor) => tf.mul(t, t);

/** Segment reductions. wasm has no UnsortedSegmentSum kernel: there the case checks a plain elementwise function instead. */
export const segmentSpecs: KernelSpec[] = [
  {
    kernel: 'UnsortedSegmentSum',
    cases: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })).chain(([n, c, s]) =>
      fc.tuple(floats(n * c, -2, 2), fc.array(fc.integer({ min: 0, max: s - 1 }), { minLength: n, maxLength: n })).map(([v, ids]) => () => ({
        x: tf.tensor(v, [n, c]),
        // A nonlinearity after the sum, so the Hessian-vector product is not trivially zero.
        f: (x: unknown) => (tf.getKernel('UnsortedSegmentSum', tf.getBackend()) === undefined
          ? tf.sin(sq(x as tf.Tensor)) // nothing to check on a backend without the kernel
          : tf.sin(sq(tf.unsortedSegmentSum(sq(x as tf.Tensor), tf.tensor1d(ids, 'int32'), s)))),
      }))),
  },
];
