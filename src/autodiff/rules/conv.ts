import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { one, savedAt } from './ruleUtil.js';

type Pad = tf.Conv2DAttrs['pad'];
type Rounding = tf.Conv2DAttrs['dimRoundingMode'];
type Shape4 = [number, number, number, number];

function checkLayout(kernel: string, dataFormat: string, dilations?: number | [number, number]): void {
  if (dataFormat !== 'NHWC') {
    throw new Error(`hypergrad: the ${kernel} rule supports dataFormat 'NHWC', got '${dataFormat}'`);
  }
  const d = dilations === undefined ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (d[0] !== 1 || d[1] !== 1) {
    throw new Error(`hypergrad: the ${kernel} rule supports dilations 1, got [${d}]`);
  }
}

/** Inserts `s - 1` zeros between the rows (and columns) of an NHWC tensor: `[b, (h-1)sh+1, (w-1)sw+1, c]`. */
function dilate(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const spread = tf.pad(tf.reshape(x, [b, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.slice(tf.reshape(spread, [b, h * sh, w * sw, c]), [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
}

/**
 * The gradient of `conv2d(x, W)` with respect to the filter `W`:
 * `dW[i, j, ci, co] = sum_{b, p, q} x[b, p s + i, q s + j, ci] dy[b, p, q, co]` (x padded).
 * Uses the backend's Conv2DBackpropFilter kernel when it has one; the wasm backend has none, so
 * there it is computed as one stride-1 `conv2d` of the transposed, padded input with the
 * transposed, zero-dilated `dy` — ops that all have rules, so it stays differentiable.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, strides: number | [number, number],
  pad: Pad, dimRoundingMode: Rounding): tf.Tensor4D {
  if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined) {
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides, pad, dataFormat: 'NHWC', dimRoundingMode, filterShape,
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  const [kh, kw, ci, co] = filterShape;
  const xp = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
  const d = info.strideHeight > 1 || info.strideWidth > 1 ? dilate(dy, info.strideHeight, info.strideWidth) : dy;
  const r = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(d, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid');
  return tf.transpose(tf.slice(r, [0, 0, 0, 0], [ci, kh, kw, co]), [1, 2, 0, 3]) as tf.Tensor4D;
}

/** Conv2D: `dx = conv2dTranspose(dy, W)`, `dW = conv2dFilterGrad(x, dy)`. */
export const conv2DRule: Rule = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'Conv2D') as tf.Tensor4D;
    const filter = savedAt(saved, 1, 'Conv2D') as tf.Tensor4D;
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    checkLayout('Conv2D', dataFormat, dilations);
    const g = one(dy) as tf.Tensor4D;
    return {
      x: () => tf.conv2dTranspose(g, filter, x.shape, strides, pad, dimRoundingMode),
      filter: () => conv2dFilterGrad(x, g, filter.shape, strides, pad, dimRoundingMode),
    };
  },
};

/** Conv2DBackpropInput (`dx = A^T dy`, linear in `dy` and `W`): `d dy = conv2d(c, W)`, `dW = conv2dFilterGrad(c, dy)`. */
export const conv2DBackpropInputRule: Rule = {
  kernelName: 'Conv2DBackpropInput',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const dy = savedAt(saved, 0, 'Conv2DBackpropInput') as tf.Tensor4D;
    const filter = savedAt(saved, 1, 'Conv2DBackpropInput') as tf.Tensor4D;
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    checkLayout('Conv2DBackpropInput', dataFormat);
    const c = one(ddx) as tf.Tensor4D;
    return {
      dy: () => tf.conv2d(c, filter, strides, pad, 'NHWC', 1, dimRoundingMode),
      filter: () => conv2dFilterGrad(c, dy, filter.shape, strides, pad, dimRoundingMode),
    };
  },
};

/** Conv2DBackpropFilter (bilinear in `x` and `dy`): `dx = conv2dTranspose(dy, c)`, `d dy = conv2d(x, c)`. */
export const conv2DBackpropFilterRule: Rule = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const x = savedAt(saved, 0, 'Conv2DBackpropFilter') as tf.Tensor4D;
    const dy = savedAt(saved, 1, 'Conv2DBackpropFilter') as tf.Tensor4D;
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    checkLayout('Conv2DBackpropFilter', dataFormat);
    const c = one(ddw) as tf.Tensor4D;
    return {
      x: () => tf.conv2dTranspose(dy, c, x.shape, strides, pad, dimRoundingMode),
      dy: () => tf.conv2d(x, c, strides, pad, 'NHWC', 1, dimRoundingMode),
    };
  },
};

/** The convolution rules. */
export const convRules: Rule[] = [conv2DRule, conv2DBackpropInputRule, conv2DBackpropFilterRule];
