import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';

/**
 * Kernels whose outputs are piecewise constant in their inputs (comparisons, rounding, argmax,
 * logical ops, fills): their derivative is zero almost everywhere, at every order. They need a
 * rule only because a mask or index computed from a differentiated tensor sits on the tape.
 */
export const ZERO_GRADIENT_KERNELS: Record<string, readonly string[]> = {
  Step: ['x'], Sign: ['x'], Floor: ['x'], Ceil: ['x'], Round: ['x'], IsNan: ['x'], IsInf: ['x'], IsFinite: ['x'],
  ZerosLike: ['x'], OnesLike: ['x'], LogicalNot: ['x'],
  Equal: ['a', 'b'], NotEqual: ['a', 'b'], Greater: ['a', 'b'], GreaterEqual: ['a', 'b'], Less: ['a', 'b'],
  LessEqual: ['a', 'b'], LogicalAnd: ['a', 'b'], LogicalOr: ['a', 'b'], FloorDiv: ['a', 'b'],
  ArgMax: ['x'], ArgMin: ['x'],
};

function zeroRule(kernelName: string, inputs: readonly string[]): Rule {
  return {
    kernelName,
    inputsToSave: [...inputs],
    gradFunc: (_dy, saved) => {
      const out: Record<string, () => tf.Tensor> = {};
      inputs.forEach((name, i) => (out[name] = () => tf.zeros((saved[i] as tf.Tensor).shape)));
      return out;
    },
  };
}

/** Zero-gradient rules for the piecewise-constant kernels. */
export const piecewiseConstantRules: Rule[] = Object.entries(ZERO_GRADIENT_KERNELS).map(([k, inputs]) =>
  zeroRule(k, inputs),
);
