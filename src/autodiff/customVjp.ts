import * as tf from '@tensorflow/tfjs-core';
import { isTapeOn, pushTapeNode, untracked } from './engineInternals.js';

/** The backward pass of a {@link customVjp} op: input cotangents from output cotangents. */
export type VjpFn = (cotangents: tf.Tensor[], inputs: tf.Tensor[], outputs: tf.Tensor[]) => tf.Tensor[];

/**
 * Records an op with a user-given vector-Jacobian product: returns copies of `values` (the op's
 * outputs) which, to every gradient, depend on `inputs` through `vjp`:
 * `d<c, out>/d inputs = vjp(c, inputs, outputs)`.
 *
 * Unlike tfjs's `customGrad`, the backward pass is itself differentiable: `vjp` receives copies of
 * the inputs and outputs recorded on the tape after the op, so a gradient of a gradient sees how
 * they depend on the inputs (through this op again). This is how implicit solutions
 * (`w*(theta)`, whose value comes from an optimiser and whose VJP comes from the implicit function
 * * theorem) nest at any depth. `vjp` must compute its results with tf ops of its arguments (host
 * reads for control flow, such as a solver's stopping test, are fine).
 *
 * @param name - a name for error messages and the tape (`hypergrad.<name>`).
 * @example
 * ```ts
 * // y = x^3 with its derivative given by hand:
 * const [y] = customVjp('cube', [x], [tf.pow(x, 3)], ([c], [xi]) => [tf.mul(c, tf.mul(3, tf.square(xi)))]);
 * ```
 */
export function customVjp(name: string, inputs: tf.Tensor[], values: tf.Tensor[], vjp: VjpFn): tf.Tensor[] {
  const outputs = untracked(() => values.map((v) => tf.clone(v)));
  if (!isTapeOn()) return outputs;
  const node = {
    kernelName: `hypergrad.${name}`,
    hypergradOp: true as const,
    inputs: Object.fromEntries(inputs.map((t, i) => [String(i), t])),
    outputs,
    saved: [] as tf.Tensor[],
    gradient: (dys: tf.Tensor[]) => {
      const savedInputs = node.saved.slice(0, inputs.length);
      const savedOutputs = node.saved.slice(inputs.length);
      const grads = vjp(dys, savedInputs, savedOutputs);
      if (grads.length !== inputs.length) {
        throw new Error(`customVjp '${name}': vjp returned ${grads.length} cotangents for ${inputs.length} inputs`);
      }
      return Object.fromEntries(grads.map((g, i) => [String(i), () => g]));
    },
  };
  pushTapeNode(node);
  // Copies recorded after the node: the tape links them to the inputs and to this op's outputs.
  node.saved = [...inputs, ...outputs].map((t) => tf.keep(tf.clone(t)));
  return outputs;
}
