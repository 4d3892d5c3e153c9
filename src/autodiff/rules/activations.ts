import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { cachedValue } from '../valueCache.js';
import { constant, one, savedAt } from './ruleUtil.js';
import { elementwise, elementwiseFromOutput } from './unary.js';

const sigmoidDerivative = (s: tf.Tensor) => tf.mul(s, tf.sub(1, s));
const tanhDerivative = (t: tf.Tensor) => tf.sub(1, tf.square(t));
/** Sigmoid: `s (1 - s)` with `s = sigmoid x` the saved output in a first-order pass, recomputed from the input in a recorded one. */
export const sigmoidRule = elementwiseFromOutput('Sigmoid', sigmoidDerivative, (x) => sigmoidDerivative(tf.sigmoid(x)));
/** Tanh: `1 - tanh(x)^2`, `tanh x` the saved output in a first-order pass, recomputed from the input in a recorded one. */
export const tanhRule = elementwiseFromOutput('Tanh', tanhDerivative, (x) => tanhDerivative(tf.tanh(x)));
/** Softplus: `sigmoid x`. */
export const softplusRule = elementwise('Softplus', (x) => tf.sigmoid(x));
/**
 * Relu: `dx = dy 1[x > 0]`, the mask read from the saved *output* (`relu(x) > 0` exactly when
 * `x > 0`). Reading an output is safe here, unlike for Tanh or Exp, because the mask is a constant
 * to every order; and the output is usually held anyway by the next layer's matMul, so the
 * pre-activation need not be.
 */
export const reluRule: Rule = {
  kernelName: 'Relu',
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const y = savedAt(saved, 0, 'Relu');
    return { x: () => tf.mul(one(dy), constant(() => cachedValue('step', y, (t) => tf.step(t)))) };
  },
};
/** Relu6: `1[0 < x < 6]`. */
export const relu6Rule = elementwise('Relu6', (x) =>
  constant(() => tf.cast(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)), 'float32')),
);
/** Elu: `1` for `x > 0`, `exp x` otherwise (computed as `exp(min(x, 0))`, so no overflow). */
export const eluRule = elementwise('Elu', (x) => {
  const positive = constant(() => tf.step(x));
  return tf.add(positive, tf.mul(tf.sub(1, positive), tf.exp(tf.minimum(x, 0))));
});

/** LeakyRelu: `1` for `x > 0`, `alpha` otherwise. */
export const leakyReluRule: Rule = {
  kernelName: 'LeakyRelu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'LeakyRelu');
    const { alpha } = attrs as unknown as tf.LeakyReluAttrs;
    return { x: () => tf.mul(one(dy), constant(() => tf.add(tf.mul(tf.step(x), 1 - alpha), alpha))) };
  },
};

/** ClipByValue: `1[min <= x <= max]`. */
export const clipByValueRule: Rule = {
  kernelName: 'ClipByValue',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = savedAt(saved, 0, 'ClipByValue');
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    const inside = constant(() =>
      tf.cast(tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)), 'float32'),
    );
    return { x: () => tf.mul(one(dy), inside) };
  },
};

/**
 * Softmax along `dim`: `dx = y (dy - sum(dy y, dim))` with `y = softmax(logits)` recomputed from the
 * input, so the rule is itself differentiable.
 */
export const softmaxRule: Rule = {
  kernelName: 'Softmax',
  inputsToSave: ['logits'],
  gradFunc: (dy, saved, attrs) => {
    const logits = savedAt(saved, 0, 'Softmax');
    const { dim } = attrs as unknown as tf.SoftmaxAttrs;
    return {
      logits: () => {
        const y = tf.softmax(logits, dim);
        const g = one(dy);
        return tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), dim, true)));
      },
    };
  },
};

/** The activation rules. */
export const activationRules: Rule[] = [
  sigmoidRule, tanhRule, softplusRule, reluRule, relu6Rule, eluRule, leakyReluRule, clipByValueRule, softmaxRule,
];
