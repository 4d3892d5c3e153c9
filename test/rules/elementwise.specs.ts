import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type KernelSpec, awayFromZero, floats, shapes, size } from '../helpers/ruleHarness.js';

type Vals = (n: number) => fc.Arbitrary<number[]>;

/** A spec for an elementwise kernel applied to one input of random shape. */
export function unary(kernel: string, op: (x: tf.Tensor) => tf.Tensor, values: Vals, extra: Partial<KernelSpec> = {}): KernelSpec {
  return {
    kernel,
    cases: shapes(1, 3).chain((s) => values(size(s)).map((v) => () => ({ x: tf.tensor(v, s), f: (x) => op(x as tf.Tensor) }))),
    ...extra,
  };
}

/** Shapes `a` and `b` that broadcast: `b` is a suffix of `a`'s shape with some dims set to 1 (or vice versa). */
const broadcastPair: fc.Arbitrary<[number[], number[]]> = fc
  .tuple(shapes(1, 3), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.integer({ min: 0, max: 2 }), fc.boolean())
  .map(([s, ones, drop, swap]) => {
    const t = s.slice(Math.min(drop, s.length - 1)).map((d, i) => (ones[i] ? 1 : d));
    return swap ? [t, s] : [s, t];
  });

/** A spec for a binary kernel with broadcasting. */
export function binary(kernel: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, va: Vals, vb: Vals,
  extra: Partial<KernelSpec> = {}): KernelSpec {
  return {
    kernel,
    cases: broadcastPair.chain(([sa, sb]) =>
      fc.tuple(va(size(sa)), vb(size(sb))).map(([a, b]) => () => ({
        x: [tf.tensor(a, sa), tf.tensor(b, sb)],
        f: (x: unknown) => {
          const [p, q] = x as [tf.Tensor, tf.Tensor];
          return op(p, q);
        },
      })),
    ),
    ...extra,
  };
}

const any = (n: number) => floats(n, -2, 2);
const positive = (n: number) => floats(n, 0.5, 3);
const sq = (t: tf.Tensor) => tf.mul(t, t);

/** Binary kernels whose pairs need separated values (Maximum, Minimum): b = a +- gap. */
function separated(kernel: string, op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): KernelSpec {
  return {
    kernel,
    cases: shapes(1, 3).chain((s) =>
      fc.tuple(any(size(s)), awayFromZero(size(s), 1)).map(([a, d]) => () => ({
        x: [tf.tensor(a, s), tf.tensor(a.map((v, i) => Math.fround(v + (d[i] as number))), s)],
        f: (x: unknown) => {
          const [p, q] = x as [tf.Tensor, tf.Tensor];
          return op(tf.mul(p, p), tf.mul(q, q));
        },
      })),
    ),
  };
}

/** The arithmetic, unary-math and activation kernels. */
export const elementwiseSpecs: KernelSpec[] = [
  binary('Add', (a, b) => sq(tf.add(a, b)), any, any),
  binary('Sub', (a, b) => sq(tf.sub(a, b)), any, any),
  binary('Multiply', (a, b) => tf.mul(a, b), any, any),
  binary('RealDiv', (a, b) => tf.div(a, b), any, positive),
  binary('SquaredDifference', (a, b) => tf.squaredDifference(a, b), any, any),
  binary('Pow', (a, b) => tf.pow(a, b), (n) => floats(n, 0.5, 2), (n) => floats(n, -1.5, 2)),
  separated('Maximum', (a, b) => tf.maximum(a, b)),
  separated('Minimum', (a, b) => tf.minimum(a, b)),
  unary('Neg', (x) => sq(tf.neg(x)), any),
  {
    kernel: 'AddN',
    cases: shapes(1, 3).chain((s) =>
      fc.tuple(any(size(s)), any(size(s)), any(size(s))).map(([a, b, c]) => () => ({
        x: [tf.tensor(a, s), tf.tensor(b, s), tf.tensor(c, s)],
        f: (x: unknown) => sq(tf.addN(x as tf.Tensor[])),
      })),
    ),
  },
  unary('Square', (x) => tf.square(x), any),
  unary('Sqrt', (x) => tf.sqrt(x), positive),
  unary('Rsqrt', (x) => tf.rsqrt(x), positive),
  unary('Reciprocal', (x) => tf.reciprocal(x), (n) => awayFromZero(n, 2, 0.4)),
  unary('Exp', (x) => tf.exp(x), any),
  unary('Expm1', (x) => tf.expm1(x), any),
  unary('Log', (x) => tf.log(x), positive),
  unary('Log1p', (x) => tf.log1p(x), (n) => floats(n, -0.5, 2)),
  unary('Sin', (x) => tf.sin(x), any),
  unary('Cos', (x) => tf.cos(x), any),
  unary('Erf', (x) => tf.erf(x), any),
  unary('Abs', (x) => tf.mul(tf.abs(x), x), (n) => awayFromZero(n, 2)),
  unary('Sigmoid', (x) => tf.sigmoid(x), any),
  unary('Tanh', (x) => tf.tanh(x), any),
  unary('Softplus', (x) => tf.softplus(x), any),
  unary('Relu', (x) => sq(tf.relu(x)), (n) => awayFromZero(n, 2)),
  unary('Relu6', (x) => sq(tf.relu6(x)), (n) => floats(n, 0.1, 5.9)),
  unary('Elu', (x) => tf.elu(x), (n) => awayFromZero(n, 2)),
  {
    kernel: 'LeakyRelu',
    cases: fc.tuple(shapes(1, 3), fc.double({ min: 0.01, max: 0.5, noNaN: true })).chain(([s, alpha]) =>
      awayFromZero(size(s), 2).map((v) => () => ({ x: tf.tensor(v, s), f: (x) => sq(tf.leakyRelu(x as tf.Tensor, alpha)) })),
    ),
  },
  unary('ClipByValue', (x) => sq(tf.clipByValue(x, -0.5, 0.5)), (n) =>
    floats(n, -2, 2).map((v) => v.map((a) => (Math.abs(Math.abs(a) - 0.5) < 0.1 ? a + 0.25 : a)))),
  {
    kernel: 'Softmax',
    cases: shapes(2, 2, 5).chain((s) => any(size(s)).map((v) => () => ({ x: tf.tensor(v, s), f: (x) => tf.softmax(x as tf.Tensor) }))),
  },
];
