import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { conv2dFilterGrad } from '../../src/autodiff/rules/conv.js';
import { type KernelSpec, awayFromZero, distinct, floats, shapes, size } from '../helpers/ruleHarness.js';

const any = (n: number) => floats(n, -2, 2);
const sq = (t: tf.Tensor) => tf.mul(t, t);
const one = (x: unknown) => x as tf.Tensor;
const pair = (x: unknown) => x as [tf.Tensor, tf.Tensor];

/** Random NHWC convolution geometry. */
const convGeometry = fc.record({
  b: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 3, max: 6 }), w: fc.integer({ min: 3, max: 6 }),
  ci: fc.integer({ min: 1, max: 3 }), co: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }), pad: fc.constantFrom('same' as const, 'valid' as const),
});
type Geometry = { b: number; h: number; w: number; ci: number; co: number; k: number; stride: number; pad: 'same' | 'valid' };
const outSize = (g: Geometry, n: number) => (g.pad === 'same' ? Math.ceil(n / g.stride) : Math.floor((n - g.k) / g.stride) + 1);

/** Gather/scatter, select, convolution and pooling. */
export const indexingSpecs: KernelSpec[] = [
  {
    kernel: 'GatherV2',
    cases: shapes(1, 3).chain((s) =>
      fc.tuple(any(size(s)), fc.integer({ min: 0, max: s.length - 1 })).chain(([v, ax]) =>
        fc.array(fc.integer({ min: 0, max: (s[ax] as number) - 1 }), { minLength: 1, maxLength: 5 }).map((idx) => () => ({
          x: tf.tensor(v, s), f: (x: unknown) => sq(tf.gather(one(x), tf.tensor1d(idx, 'int32'), ax)),
        })))),
  },
  {
    kernel: 'GatherNd',
    cases: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })).chain(([n, m, c]) =>
      fc.tuple(any(n * m * c), fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: m - 1 })), { minLength: 1, maxLength: 6 }))
        .map(([v, idx]) => () => ({
          x: tf.tensor(v, [n, m, c]), f: (x: unknown) => sq(tf.gatherND(one(x), tf.tensor2d(idx, [idx.length, 2], 'int32'))),
        }))),
  },
  {
    kernel: 'ScatterNd',
    cases: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 })).chain(([n, c]) =>
      fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 6 }).chain((idx) =>
        any(idx.length * c).map((u) => () => ({
          x: tf.tensor(u, [idx.length, c]),
          f: (x: unknown) => sq(tf.scatterND(tf.tensor2d(idx, [idx.length, 1], 'int32'), one(x), [n, c])),
        })))),
  },
  {
    kernel: 'OneHot',
    cases: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 })).chain(([n, k]) =>
      distinct(n * k).map((v) => () => ({
        x: tf.tensor(v, [n, k]),
        // argMax and oneHot of a differentiated tensor: piecewise constant, so only the outer product carries gradient.
        f: (x: unknown) => sq(tf.mul(one(x), tf.oneHot(tf.argMax(one(x), 1), k))),
      }))),
  },
  {
    kernel: 'Select',
    cases: shapes(1, 3).chain((s) => awayFromZero(size(s), 2).map((v) => () => ({
      x: tf.tensor(v, s), f: (x: unknown) => tf.where(tf.greater(one(x), 0), sq(one(x)), tf.sin(one(x))),
    }))),
  },
  {
    kernel: 'Conv2D',
    cases: convGeometry.chain((g) =>
      fc.tuple(any(g.b * g.h * g.w * g.ci), any(g.k * g.k * g.ci * g.co)).map(([xv, wv]) => () => ({
        x: [tf.tensor(xv, [g.b, g.h, g.w, g.ci]), tf.tensor(wv, [g.k, g.k, g.ci, g.co])],
        f: (x: unknown) => {
          const [a, w] = pair(x);
          return sq(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, g.stride, g.pad));
        },
      }))),
  },
  {
    kernel: 'Conv2DBackpropInput',
    cases: convGeometry.chain((g) => {
      const dyShape = [g.b, outSize(g, g.h), outSize(g, g.w), g.co];
      return fc.tuple(any(size(dyShape)), any(g.k * g.k * g.ci * g.co)).map(([dv, wv]) => () => ({
        x: [tf.tensor(dv, dyShape), tf.tensor(wv, [g.k, g.k, g.ci, g.co])],
        f: (x: unknown) => {
          const [dy, w] = pair(x);
          return sq(tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [g.b, g.h, g.w, g.ci], g.stride, g.pad));
        },
      }));
    }),
  },
  {
    kernel: 'Conv2DBackpropFilter',
    cases: convGeometry.chain((g) => {
      const dyShape = [g.b, outSize(g, g.h), outSize(g, g.w), g.co];
      return fc.tuple(any(g.b * g.h * g.w * g.ci), any(size(dyShape))).map(([xv, dv]) => () => ({
        x: [tf.tensor(xv, [g.b, g.h, g.w, g.ci]), tf.tensor(dv, dyShape)],
        f: (x: unknown) => {
          const [a, dy] = pair(x);
          return sq(conv2dFilterGrad(a as tf.Tensor4D, dy as tf.Tensor4D, [g.k, g.k, g.ci, g.co], g.stride, g.pad, undefined));
        },
      }));
    }),
  },
  {
    kernel: 'MaxPool',
    cases: convGeometry.chain((g) => distinct(g.b * g.h * g.w * g.ci).map((v) => () => ({
      x: tf.tensor(v, [g.b, g.h, g.w, g.ci]),
      f: (x: unknown) => sq(tf.maxPool(one(x) as tf.Tensor4D, Math.max(2, g.k), g.stride, g.pad)),
    }))),
  },
  {
    kernel: 'AvgPool',
    cases: convGeometry.chain((g) => any(g.b * g.h * g.w * g.ci).map((v) => () => ({
      x: tf.tensor(v, [g.b, g.h, g.w, g.ci]),
      f: (x: unknown) => sq(tf.avgPool(one(x) as tf.Tensor4D, g.k, g.stride, g.pad)),
    }))),
  },
  {
    kernel: 'AvgPoolGrad',
    cases: convGeometry.chain((g) => {
      const dyShape = [g.b, outSize(g, g.h), outSize(g, g.w), g.ci];
      return any(size(dyShape)).map((dv) => () => {
        const input = tf.zeros([g.b, g.h, g.w, g.ci]);
        return {
          x: tf.tensor(dv, dyShape),
          f: (x: unknown) => sq(tf.engine().runKernel('AvgPoolGrad', { dy: one(x), input }, {
            filterSize: g.k, strides: g.stride, pad: g.pad,
          }) as tf.Tensor),
        };
      });
    }),
  },
];
