import * as tf from '@tensorflow/tfjs-core';
import { normalTensor } from '../../util/random.js';

/** A dense layer's parameters: `y = x W + b`. */
export type Dense = {
  /** `W`, `[in, out]`. */
  w: tf.Tensor2D;
  /** `b`, `[out]`. */
  b: tf.Tensor1D;
};

/** Rows of numbers on the host: `values` is row-major `[values.length / width, width]`. */
export interface Rows {
  /** The entries, row-major. */
  values: Float32Array;
  /** The number of columns. */
  width: number;
}

/** Glorot-normal weights `[in, out]`, `N(0, 2 / (in + out))`, drawn from `rand`. */
export function initWeights(inDim: number, outDim: number, rand: () => number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(normalTensor([inDim, outDim], rand), Math.sqrt(2 / (inDim + outDim)))) as tf.Tensor2D;
}

/** A dense layer `in -> out`: Glorot-normal weights ({@link initWeights}) and zero bias. */
export function initDense(inDim: number, outDim: number, rand: () => number): Dense {
  return { w: initWeights(inDim, outDim, rand), b: tf.zeros([outDim]) as tf.Tensor1D };
}

/** `x W + b` (an explicit `matMul` without transposes: the fast path on wasm). */
export function dense(p: Dense, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, p.w), p.b) as tf.Tensor2D;
}

/** The rows as a float32 tensor `[n, width]`. */
export function rowsTensor(rows: Rows): tf.Tensor2D {
  const n = rows.values.length / rows.width;
  if (!Number.isInteger(n)) throw new Error(`rows: ${rows.values.length} values are not rows of width ${rows.width}`);
  return tf.tensor2d(rows.values, [n, rows.width]);
}
