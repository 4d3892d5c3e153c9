import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { constant, one, savedAt } from './ruleUtil.js';

/**
 * MaxPool: `dx = P^T dy`, where `P` picks each window's argmax. The argmax indices are constants
 * (piecewise constant in `x`); `P^T dy` is a ScatterNd of `dy` to them, whose rule (a GatherNd,
 * i.e. `P c`) makes the second derivative exact.
 */
export const maxPoolRule: Rule = {
  kernelName: 'MaxPool',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'MaxPool') as tf.Tensor4D;
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
    if (dimRoundingMode != null || typeof pad === 'object') {
      throw new Error('hypergrad: the MaxPool rule supports pad \'same\', \'valid\' or a number, without dimRoundingMode');
    }
    return {
      x: () => {
        const idx = constant(() => tf.maxPoolWithArgmax(x, filterSize, strides, pad, true).indexes);
        const g = one(dy);
        return tf.reshape(tf.scatterND(tf.reshape(idx, [g.size, 1]), tf.reshape(g, [g.size]), [x.size]), x.shape);
      },
    };
  },
};

/** AvgPool: `dx = AvgPoolGrad(dy)` (the adjoint of the window average). */
export const avgPoolRule: Rule = {
  kernelName: 'AvgPool',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'AvgPool');
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.AvgPoolAttrs;
    return {
      x: () => tf.engine().runKernel('AvgPoolGrad', { dy: one(dy), input: x }, {
        filterSize, strides, pad, dimRoundingMode,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  },
};

/** AvgPoolGrad (linear in `dy`): `d dy = avgPool(c)`; the input (used only for its shape) gets zeros. */
export const avgPoolGradRule: Rule = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (c, saved, attrs) => {
    const input = savedAt(saved, 0, 'AvgPoolGrad');
    const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
    return {
      dy: () => tf.avgPool(one(c) as tf.Tensor4D, filterSize, strides, pad),
      input: () => tf.zeros(input.shape),
    };
  },
};

/** The pooling rules. */
export const poolRules: Rule[] = [maxPoolRule, avgPoolRule, avgPoolGradRule];
