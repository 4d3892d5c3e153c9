import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { constant, one, savedAt } from './ruleUtil.js';

type PoolAttrs = tf.MaxPoolAttrs;

/** Window geometry of a 2-D pool (NHWC), as tfjs computes it. */
function poolInfo(shape: number[], attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(shape as [number, number, number, number], attrs.filterSize,
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/**
 * The flat index (batch included) of each window's first maximum, computed on the host. tfjs's
 * wasm `MaxPoolWithArgmax` returns wrong indices for overlapping windows, so hypergrad does not
 * rely on it there; on webgpu (which cannot read synchronously in Node) it uses that kernel. A constant: argmax is piecewise constant in `x`.
 */
export function maxPoolArgmax(x: tf.Tensor4D, attrs: PoolAttrs): tf.Tensor {
  if (tf.getBackend() === 'webgpu' && attrs.dimRoundingMode == null) {
    // On the GPU: the host loop would need a synchronous read. Checked against it in test/webgpu.
    const { indexes } = tf.maxPoolWithArgmax(x, attrs.filterSize, attrs.strides, attrs.pad as 'valid' | 'same', true);
    return tf.reshape(tf.cast(indexes, 'int32'), [indexes.size, 1]);
  }
  const info = poolInfo(x.shape, attrs);
  const [b, h, w, c] = x.shape;
  const v = x.dataSync();
  const out = new Int32Array(b * info.outHeight * info.outWidth * c);
  let o = 0;
  for (let n = 0; n < b; n++) {
    for (let r = 0; r < info.outHeight; r++) {
      const r0 = r * info.strideHeight - info.padInfo.top;
      for (let q = 0; q < info.outWidth; q++) {
        const q0 = q * info.strideWidth - info.padInfo.left;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = Math.max(0, r0); i < Math.min(h, r0 + info.filterHeight); i++) {
            for (let j = Math.max(0, q0); j < Math.min(w, q0 + info.filterWidth); j++) {
              const k = ((n * h + i) * w + j) * c + ch;
              if ((v[k] as number) > best || at < 0) {
                best = v[k] as number;
                at = k;
              }
            }
          }
          out[o++] = at;
        }
      }
    }
  }
  return tf.tensor(out, [out.length, 1], 'int32');
}

/**
 * MaxPool: `dx = P^T dy`, `P` picking each window's argmax (constant indices). `P^T dy` is a
 * ScatterNd of `dy` to those indices; its rule (a GatherNd, i.e. `P c`) makes the second
 * derivative exact.
 */
export const maxPoolRule: Rule = {
  kernelName: 'MaxPool',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'MaxPool') as tf.Tensor4D;
    return {
      x: () => {
        const idx = constant(() => maxPoolArgmax(x, attrs as unknown as PoolAttrs));
        const g = one(dy);
        return tf.reshape(tf.scatterND(idx, tf.reshape(g, [g.size]), [x.size]), x.shape);
      },
    };
  },
};

/**
 * The number of in-bounds entries of each pooling window, `[1, outH, outW, 1]`: tfjs's AvgPool
 * divides by it, its AvgPoolGrad by the full window size `kh kw` (which differ at the borders
 * under 'same' padding, where tfjs's stock AvgPool gradient is therefore wrong).
 */
function windowCounts(shape: number[], attrs: PoolAttrs): { counts: tf.Tensor; full: number } {
  const info = poolInfo(shape, attrs);
  const [, h, w] = shape as [number, number, number, number];
  const counts = constant(() => tf.conv2d(tf.ones([1, h, w, 1]) as tf.Tensor4D,
    tf.ones([info.filterHeight, info.filterWidth, 1, 1]) as tf.Tensor4D,
    [info.strideHeight, info.strideWidth], attrs.pad, 'NHWC', 1, attrs.dimRoundingMode));
  return { counts, full: info.filterHeight * info.filterWidth };
}

function avgPoolGrad(dy: tf.Tensor, input: tf.Tensor, attrs: PoolAttrs): tf.Tensor {
  return tf.engine().runKernel('AvgPoolGrad', { dy, input }, {
    filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * AvgPool `y_o = (1 / n_o) sum_{i in window o} x_i` (n_o the in-bounds count):
 * `dx = kh kw AvgPoolGrad(dy / n)`, since AvgPoolGrad is the adjoint of the sum over the window
 * divided by `kh kw`.
 */
export const avgPoolRule: Rule = {
  kernelName: 'AvgPool',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'AvgPool');
    const a = attrs as unknown as PoolAttrs;
    return {
      x: () => {
        const { counts, full } = windowCounts(x.shape, a);
        return tf.mul(avgPoolGrad(tf.div(one(dy), counts), x, a), full);
      },
    };
  },
};

/**
 * AvgPoolGrad `g = A dy`, `A` the adjoint of the window sum divided by `kh kw`, linear in `dy`:
 * `d dy = A^T c = avgPool(c) n / (kh kw)`; the input (used only for its shape) gets zeros.
 */
export const avgPoolGradRule: Rule = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (c, saved, attrs) => {
    const input = savedAt(saved, 0, 'AvgPoolGrad');
    const a = attrs as unknown as PoolAttrs;
    return {
      dy: () => {
        const { counts, full } = windowCounts(input.shape, a);
        return tf.mul(tf.avgPool(one(c) as tf.Tensor4D, a.filterSize, a.strides, a.pad, a.dimRoundingMode), tf.div(counts, full));
      },
      input: () => tf.zeros(input.shape),
    };
  },
};

/** The pooling rules. */
export const poolRules: Rule[] = [maxPoolRule, avgPoolRule, avgPoolGradRule];
