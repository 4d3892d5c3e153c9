import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { inputMeta } from '../registry.js';
import { constant, one, reduceTo, savedAt } from './ruleUtil.js';

/** Binary elementwise rules with broadcasting: d/da and d/db of `a op b`, reduced to each shape. */
function binary(kernelName: string, da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Rule {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const a = savedAt(saved, 0, kernelName);
      const b = savedAt(saved, 1, kernelName);
      const g = one(dy);
      return { a: () => reduceTo(da(g, a, b), a.shape), b: () => reduceTo(db(g, a, b), b.shape) };
    },
  };
}

/**
 * `a + b` or `a - b` with broadcasting: `(dy, +-dy)`, each reduced to its input's shape. The inputs
 * are read for their shapes only (`shapesOnly`), so hypergrad's tape holds no buffer for them.
 */
function sumOrDifference(kernelName: 'Add' | 'Sub'): Rule {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    shapesOnly: true,
    gradFunc: (dy, saved) => {
      const a = inputMeta(saved, 0, 'a', kernelName).shape;
      const b = inputMeta(saved, 1, 'b', kernelName).shape;
      const g = one(dy);
      return { a: () => reduceTo(g, a), b: () => reduceTo(kernelName === 'Add' ? g : tf.neg(g), b) };
    },
  };
}

/** Add: `d(a + b) = (dy, dy)`. */
export const addRule = sumOrDifference('Add');
/** Sub: `d(a - b) = (dy, -dy)`. */
export const subRule = sumOrDifference('Sub');
/** Multiply: `d(a b) = (dy b, dy a)`. */
export const multiplyRule = binary('Multiply', (dy, _a, b) => tf.mul(dy, b), (dy, a) => tf.mul(dy, a));
/** RealDiv: `d(a / b) = (dy / b, -dy a / b^2)`. */
export const realDivRule = binary(
  'RealDiv',
  (dy, _a, b) => tf.div(dy, b),
  (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
);
/** SquaredDifference: `d (a - b)^2 = (2 dy (a - b), -2 dy (a - b))`. */
export const squaredDifferenceRule = binary(
  'SquaredDifference',
  (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(a, b), 2)),
  (dy, a, b) => tf.mul(dy, tf.mul(tf.sub(b, a), 2)),
);
/** Maximum: the gradient goes to `a` where `a >= b`, else to `b`. */
export const maximumRule = binary(
  'Maximum',
  (dy, a, b) => tf.mul(dy, constant(() => tf.cast(tf.greaterEqual(a, b), 'float32'))),
  (dy, a, b) => tf.mul(dy, constant(() => tf.cast(tf.less(a, b), 'float32'))),
);
/** Minimum: the gradient goes to `a` where `a <= b`, else to `b`. */
export const minimumRule = binary(
  'Minimum',
  (dy, a, b) => tf.mul(dy, constant(() => tf.cast(tf.lessEqual(a, b), 'float32'))),
  (dy, a, b) => tf.mul(dy, constant(() => tf.cast(tf.greater(a, b), 'float32'))),
);
/**
 * Pow: `d a^b = (dy b a^(b-1), dy a^b log a)`; the exponent's gradient is taken as 0 where `a <= 0`
 * (where `log a` is undefined), as tfjs does.
 */
export const powRule = binary(
  'Pow',
  (dy, a, b) => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
  (dy, a, b) => {
    const positive = constant(() => tf.greater(a, 0));
    const safeA = tf.where(positive, a, tf.onesLike(a));
    return tf.mul(dy, tf.mul(tf.pow(a, b), tf.where(positive, tf.log(safeA), tf.zerosLike(a))));
  },
);

/** Neg: `d(-x) = -dy`. */
export const negRule: Rule = {
  kernelName: 'Neg',
  gradFunc: (dy) => ({ x: () => tf.neg(one(dy)) }),
};

/** AddN: every input receives `dy`. */
export const addNRule: Rule = {
  kernelName: 'AddN',
  saveAllInputs: true,
  gradFunc: (dy, saved) => {
    const out: Record<string, () => tf.Tensor> = {};
    saved.forEach((_t, i) => (out[i] = () => tf.clone(one(dy))));
    return out;
  },
};

/** The arithmetic rules. */
export const arithmeticRules: Rule[] = [
  addRule, subRule, multiplyRule, realDivRule, squaredDifferenceRule, maximumRule, minimumRule, powRule,
  negRule, addNRule,
];
