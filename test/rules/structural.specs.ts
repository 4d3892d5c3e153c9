import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type KernelSpec, distinct, floats, shapes, size } from '../helpers/ruleHarness.js';

const any = (n: number) => floats(n, -2, 2);
const sq = (t: tf.Tensor) => tf.mul(t, t);
const one = (x: unknown) => x as tf.Tensor;

/** A random non-empty subset of the axes of `s`. */
const axesOf = (s: number[]) =>
  fc.subarray(s.map((_d, i) => i), { minLength: 1 });

/** Reductions over random axes, with and without keepDims. */
function reduction(kernel: string, op: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor,
  values: (n: number) => fc.Arbitrary<number[]>, post: (t: tf.Tensor) => tf.Tensor): KernelSpec {
  return {
    kernel,
    cases: shapes(1, 3).chain((s) =>
      fc.tuple(values(size(s)), axesOf(s), fc.boolean()).map(([v, axes, keep]) => () => ({
        x: tf.tensor(v, s),
        f: (x: unknown) => post(op(tf.mul(one(x), 1), axes, keep)),
      })),
    ),
  };
}

/** Reductions, matrix products and shape manipulation. */
export const structuralSpecs: KernelSpec[] = [
  reduction('Sum', (x, a, k) => tf.sum(x, a, k), any, sq),
  reduction('Mean', (x, a, k) => tf.mean(x, a, k), any, sq),
  reduction('Max', (x, a, k) => tf.max(x, a, k), distinct, sq),
  reduction('Min', (x, a, k) => tf.min(x, a, k), distinct, sq),
  {
    kernel: 'BatchMatMul',
    cases: fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean())
      .chain(([m, k, n, batch, ta, tb]) => {
        const pre = batch > 0 ? [batch] : [];
        const sa = [...pre, ...(ta ? [k, m] : [m, k])];
        const sb = [...pre, ...(tb ? [n, k] : [k, n])];
        return fc.tuple(any(size(sa)), any(size(sb))).map(([a, b]) => () => ({
          x: [tf.tensor(a, sa), tf.tensor(b, sb)],
          f: (x: unknown) => {
            const [p, q] = x as [tf.Tensor, tf.Tensor];
            return sq(tf.matMul(p, q, ta, tb));
          },
        }));
      }),
  },
  {
    kernel: 'Transpose',
    cases: shapes(2, 4).chain((s) =>
      fc.tuple(any(size(s)), fc.shuffledSubarray(s.map((_d, i) => i), { minLength: s.length, maxLength: s.length }))
        .map(([v, perm]) => () => ({ x: tf.tensor(v, s), f: (x: unknown) => sq(tf.transpose(tf.mul(one(x), 1), perm)) }))),
  },
  {
    kernel: 'Reshape',
    cases: shapes(1, 3).chain((s) => any(size(s)).map((v) => () => ({
      x: tf.tensor(v, s), f: (x: unknown) => sq(tf.reshape(one(x), [size(s)])),
    }))),
  },
  {
    kernel: 'ExpandDims',
    cases: shapes(1, 3).chain((s) => fc.tuple(any(size(s)), fc.integer({ min: 0, max: s.length })).map(([v, ax]) => () => ({
      x: tf.tensor(v, s), f: (x: unknown) => sq(tf.expandDims(one(x), ax)),
    }))),
  },
  {
    kernel: 'Cast',
    cases: shapes(1, 3).chain((s) => any(size(s)).map((v) => () => ({
      x: tf.tensor(v, s),
      // float -> float is the identity; float -> int -> float is piecewise constant (zero gradient).
      f: (x: unknown) => tf.add(sq(tf.cast(one(x), 'float32')), tf.mul(one(x), tf.cast(tf.cast(tf.add(one(x), 0.5), 'int32'), 'float32'))),
    }))),
  },
  {
    kernel: 'Identity',
    cases: shapes(1, 3).chain((s) => any(size(s)).map((v) => () => ({ x: tf.tensor(v, s), f: (x: unknown) => sq(tf.clone(one(x))) }))),
  },
  {
    kernel: 'Slice',
    cases: shapes(1, 3, 5).chain((s) =>
      fc.tuple(any(size(s)), fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d - 1 }))), fc.array(fc.nat(), { minLength: s.length, maxLength: s.length }))
        .map(([v, begin, r]) => () => ({
          x: tf.tensor(v, s),
          f: (x: unknown) => sq(tf.slice(one(x), begin, begin.map((b, i) => 1 + ((r[i] as number) % ((s[i] as number) - b))))),
        }))),
  },
  {
    kernel: 'PadV2',
    cases: shapes(1, 3).chain((s) =>
      fc.tuple(any(size(s)), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: s.length, maxLength: s.length }), fc.double({ min: -1, max: 1, noNaN: true }))
        .map(([v, pads, c]) => () => ({ x: tf.tensor(v, s), f: (x: unknown) => sq(tf.pad(one(x), pads, c)) }))),
  },
  {
    kernel: 'Concat',
    cases: shapes(1, 3).chain((s) =>
      fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 1, max: 3 })).chain(([ax, extra]) => {
        const s2 = s.map((d, i) => (i === ax ? extra : d));
        return fc.tuple(any(size(s)), any(size(s2))).map(([a, b]) => () => ({
          x: [tf.tensor(a, s), tf.tensor(b, s2)],
          f: (x: unknown) => sq(tf.concat(x as tf.Tensor[], ax)),
        }));
      })),
  },
  {
    kernel: 'SplitV',
    cases: fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 3 })).chain(([n, m]) =>
      fc.tuple(any(n * m), fc.integer({ min: 1, max: n - 1 })).map(([v, cut]) => () => ({
        x: tf.tensor(v, [n, m]),
        f: (x: unknown) => {
          const [a, b] = tf.split(one(x), [cut, n - cut], 0) as [tf.Tensor, tf.Tensor];
          return tf.concat([sq(a), tf.sin(b)], 0);
        },
      }))),
  },
  {
    kernel: 'Pack',
    cases: shapes(1, 2).chain((s) => fc.tuple(any(size(s)), any(size(s)), fc.integer({ min: 0, max: s.length })).map(([a, b, ax]) => () => ({
      x: [tf.tensor(a, s), tf.tensor(b, s)], f: (x: unknown) => sq(tf.stack(x as tf.Tensor[], ax)),
    }))),
  },
  {
    kernel: 'Unpack',
    cases: shapes(2, 3).chain((s) => fc.tuple(any(size(s)), fc.integer({ min: 0, max: s.length - 1 })).map(([v, ax]) => () => ({
      x: tf.tensor(v, s),
      f: (x: unknown) => {
        const parts = tf.unstack(one(x), ax);
        return tf.stack(parts.map((p, i) => (i % 2 === 0 ? sq(p) : tf.sin(p))), ax);
      },
    }))),
  },
  {
    kernel: 'Tile',
    cases: shapes(1, 3, 3).chain((s) => fc.tuple(any(size(s)), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: s.length, maxLength: s.length }))
      .map(([v, reps]) => () => ({ x: tf.tensor(v, s), f: (x: unknown) => sq(tf.tile(one(x), reps)) }))),
  },
];
