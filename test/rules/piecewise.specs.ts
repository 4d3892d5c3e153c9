import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type KernelSpec, distinct, floats, shapes, size } from '../helpers/ruleHarness.js';

const one = (x: unknown) => x as tf.Tensor;
const f32 = (t: tf.Tensor) => tf.cast(t, 'float32');

/** Values a quarter away from every multiple of 1/2, so rounding and comparisons with 0 and 1/2 stay put under FD steps. */
const offGrid = (n: number) => fc.array(fc.integer({ min: -6, max: 6 }), { minLength: n, maxLength: n })
  .chain((ks) => floats(n, -0.05, 0.05).map((e) => ks.map((k, i) => Math.fround(k / 2 + 0.25 + (e[i] as number)))));

/**
 * A piecewise-constant kernel `op` applied to a differentiated tensor: `f(x) = x^2 (1 + op(x))`,
 * whose derivatives are those of `x^2 (1 + c)` away from the jumps.
 */
function masked(kernel: string, op: (x: tf.Tensor) => tf.Tensor, values = offGrid): KernelSpec {
  return {
    kernel,
    cases: shapes(1, 3).chain((s) => values(size(s)).map((v) => () => ({
      x: tf.tensor(v, s), f: (x: unknown) => tf.mul(tf.square(one(x)), tf.add(1, f32(op(one(x))))),
    }))),
  };
}

const half = (x: tf.Tensor) => tf.scalar(0.5);

/** Kernels with zero derivative almost everywhere. */
export const piecewiseSpecs: KernelSpec[] = [
  masked('Step', (x) => tf.step(x)),
  masked('Sign', (x) => tf.sign(x)),
  masked('Floor', (x) => tf.floor(x)),
  masked('Ceil', (x) => tf.ceil(x)),
  masked('Round', (x) => tf.round(x)),
  masked('IsNan', (x) => tf.isNaN(x)),
  masked('IsInf', (x) => tf.isInf(x)),
  masked('IsFinite', (x) => tf.isFinite(x)),
  masked('ZerosLike', (x) => tf.zerosLike(x)),
  masked('OnesLike', (x) => tf.onesLike(x)),
  masked('LogicalNot', (x) => tf.logicalNot(tf.greater(x, 0))),
  masked('Equal', (x) => tf.equal(tf.floor(x), 0)),
  masked('NotEqual', (x) => tf.notEqual(tf.floor(x), 0)),
  masked('Greater', (x) => tf.greater(x, half(x))),
  masked('GreaterEqual', (x) => tf.greaterEqual(x, half(x))),
  masked('Less', (x) => tf.less(x, half(x))),
  masked('LessEqual', (x) => tf.lessEqual(x, half(x))),
  masked('LogicalAnd', (x) => tf.logicalAnd(tf.greater(x, 0), tf.less(x, 1))),
  masked('LogicalOr', (x) => tf.logicalOr(tf.greater(x, 1), tf.less(x, 0))),
  masked('FloorDiv', (x) => tf.floorDiv(x, tf.scalar(0.5))),
  masked('ArgMax', (x) => tf.reshape(tf.argMax(tf.reshape(x, [-1])), []), (n) => distinct(n)),
  masked('ArgMin', (x) => tf.reshape(tf.argMin(tf.reshape(x, [-1])), []), (n) => distinct(n)),
];
