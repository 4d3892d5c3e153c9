import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { one, reduceTo, savedAt } from './ruleUtil.js';

/**
 * Select (`where(condition, t, e)`): `dt = where(c, dy, 0)`, `de = where(c, 0, dy)`; the boolean
 * condition receives zeros. `where` (not a product with a mask) keeps infinities in the unselected
 * branch from turning into NaN.
 */
export const selectRule: Rule = {
  kernelName: 'Select',
  inputsToSave: ['condition', 't', 'e'],
  gradFunc: (dy, saved) => {
    const c = savedAt(saved, 0, 'Select');
    const t = savedAt(saved, 1, 'Select');
    const e = savedAt(saved, 2, 'Select');
    const g = one(dy);
    const zeros = tf.zerosLike(g);
    return {
      condition: () => tf.zeros(c.shape),
      t: () => reduceTo(tf.where(c, g, zeros), t.shape),
      e: () => reduceTo(tf.where(c, zeros, g), e.shape),
    };
  },
};
