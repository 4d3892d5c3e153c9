import * as tf from '@tensorflow/tfjs-core';
import type { Rule } from '../registry.js';
import { isTapeOn } from '../engineInternals.js';
import { constant, one, savedAt } from './ruleUtil.js';

const derivatives = new Map<string, (x: tf.Tensor) => tf.Tensor>();

/**
 * The derivative `f'(x)` of an elementwise kernel whose rule {@link elementwise} made, or undefined:
 * forward mode's tangent `f'(x) t` reuses it.
 */
export function elementwiseDerivative(kernelName: string): ((x: tf.Tensor) => tf.Tensor) | undefined {
  return derivatives.get(kernelName);
}

/** A rule `dx = dy * f'(x)` for an elementwise kernel with input `x`, written with ops of `x`. */
export function elementwise(kernelName: string, derivative: (x: tf.Tensor) => tf.Tensor): Rule {
  derivatives.set(kernelName, derivative);
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const x = savedAt(saved, 0, kernelName);
      return { x: () => tf.mul(one(dy), derivative(x)) };
    },
  };
}

/**
 * An elementwise rule `dx = dy f'(x)` whose derivative can also be written from the output
 * `y = f(x)` (tanh: `1 - y^2`, sigmoid: `y (1 - y)`, exp: `y`). In a first-order backward pass
 * (no outer gradient records it) the saved output is used, which saves recomputing `f` (wasm's
 * Tanh costs as much as a 128x784x256 matMul); when an outer gradient records the backward pass
 * (a Hessian-vector product), `f'` is recomputed from the input, because tfjs's tape does not link
 * a saved output back to its input, so a derivative read from it would be silently wrong there.
 */
export function elementwiseFromOutput(kernelName: string, fromOutput: (y: tf.Tensor) => tf.Tensor, fromInput: (x: tf.Tensor) => tf.Tensor): Rule {
  derivatives.set(kernelName, fromInput);
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const x = savedAt(saved, 0, kernelName);
      const y = savedAt(saved, 1, kernelName);
      return { x: () => tf.mul(one(dy), isTapeOn() ? fromInput(x) : fromOutput(y)) };
    },
  };
}

/**
 * Square: `dx = 2 x dy`, computed as `p + p` with `p = dy x` (exact: doubling is). A second-order
 * pass then holds only `dy` and `x` for it (the Add saves nothing), not also `2x`: one tensor
 * fewer per L2 term inside every Hessian-vector product.
 */
export const squareRule: Rule = {
  kernelName: 'Square',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const x = savedAt(saved, 0, 'Square');
    return {
      x: () => {
        const p = tf.mul(one(dy), x);
        return tf.add(p, p);
      },
    };
  },
};
/** Sqrt: `1 / (2 sqrt x)`. */
export const sqrtRule = elementwise('Sqrt', (x) => tf.div(0.5, tf.sqrt(x)));
/** Rsqrt: `-x^(-3/2) / 2`. */
export const rsqrtRule = elementwise('Rsqrt', (x) => tf.mul(-0.5, tf.div(tf.rsqrt(x), x)));
/** Reciprocal: `-1 / x^2`. */
export const reciprocalRule = elementwise('Reciprocal', (x) => tf.neg(tf.reciprocal(tf.square(x))));
/** Exp: `exp x`, the saved output in a first-order pass, recomputed from the input in a recorded one. */
export const expRule = elementwiseFromOutput('Exp', (y) => y, (x) => tf.exp(x));
/** Expm1: `exp x`. */
export const expm1Rule = elementwise('Expm1', (x) => tf.exp(x));
/** Log: `1 / x`. */
export const logRule = elementwise('Log', (x) => tf.reciprocal(x));
/** Log1p: `1 / (1 + x)`. */
export const log1pRule = elementwise('Log1p', (x) => tf.reciprocal(tf.add(x, 1)));
/** Sin: `cos x`. */
export const sinRule = elementwise('Sin', (x) => tf.cos(x));
/** Cos: `-sin x`. */
export const cosRule = elementwise('Cos', (x) => tf.neg(tf.sin(x)));
/** Erf: `2 / sqrt(pi) exp(-x^2)`. */
export const erfRule = elementwise('Erf', (x) => tf.mul(2 / Math.sqrt(Math.PI), tf.exp(tf.neg(tf.square(x)))));
/** Abs: `sign x` (0 at 0). */
export const absRule = elementwise('Abs', (x) => constant(() => tf.sign(x)));

/** The unary math rules. */
export const unaryRules: Rule[] = [
  squareRule, sqrtRule, rsqrtRule, reciprocalRule, expRule, expm1Rule, logRule, log1pRule, sinRule, cosRule,
  erfRule, absRule,
];
