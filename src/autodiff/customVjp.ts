import * as tf from '@tensorflow/tfjs-core';
import { type TapeNode, isTapeOn, pushTapeNode, saveForBackward, sharedCopy } from './engineInternals.js';

/**
 * The backward pass of a {@link customVjp} op: input cotangents from output cotangents. An entry
 * may be a function computing the cotangent: it is called only when the backward pass needs that
 * input's cotangent (an input no differentiated path goes through is skipped).
 */
export type VjpFn = (cotangents: tf.Tensor[], inputs: tf.Tensor[], outputs: tf.Tensor[]) => Array<tf.Tensor | (() => tf.Tensor)>;

/** Options of {@link customVjp}. */
export interface CustomVjpOptions {
  /**
   * Keep the outputs for the backward pass (default true). With false, `vjp` receives no outputs
   * and their buffers are not held until the backward pass.
   */
  saveOutputs?: boolean;
  /**
   * Keep the inputs for the backward pass (default true). With false, `vjp` receives no inputs
   * (its cotangents may depend on their shapes, known when the op is recorded, but not on their
   * values) and their buffers are not held until the backward pass.
   */
  saveInputs?: boolean;
  /** The op's non-tensor parameters, kept on its tape node (forward-mode tangent rules read them). */
  attrs?: Record<string, unknown>;
}

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
 * @param options - see {@link CustomVjpOptions}.
 * @example
 * ```ts
 * // y = x^3 with its derivative given by hand:
 * const [y] = customVjp('cube', [x], [tf.pow(x, 3)], ([c], [xi]) => [tf.mul(c, tf.mul(3, tf.square(xi)))]);
 * ```
 */
export function customVjp(
  name: string,
  inputs: tf.Tensor[],
  values: tf.Tensor[],
  vjp: VjpFn,
  options: CustomVjpOptions = {},
): tf.Tensor[] {
  const saveOutputs = options.saveOutputs ?? true;
  const saveInputs = options.saveInputs ?? true;
  // Copies by value that share the values' buffers (tensors are immutable): no memory per output.
  const outputs = values.map((v) => sharedCopy(v));
  if (!isTapeOn()) return outputs;
  // Inputs keyed '0', '1', ... as a kernel's are by name (built with a loop: this runs per op).
  const named: Record<string, tf.Tensor> = {};
  for (let i = 0; i < inputs.length; i++) named[i] = inputs[i] as tf.Tensor;
  const node: Omit<TapeNode, 'id'> & { saved: tf.Tensor[] } = {
    kernelName: `hypergrad.${name}`,
    hypergradOp: true as const,
    inputs: named,
    outputs,
    saved: [] as tf.Tensor[],
    gradient: (dys: tf.Tensor[]) => {
      const held = saveInputs ? inputs.length : 0;
      const savedInputs = node.saved.slice(0, held);
      const savedOutputs = node.saved.slice(held);
      const grads = vjp(dys, savedInputs, savedOutputs);
      if (grads.length !== inputs.length) {
        throw new Error(`customVjp '${name}': vjp returned ${grads.length} cotangents for ${inputs.length} inputs`);
      }
      const thunks: Record<string, () => tf.Tensor> = {};
      for (let i = 0; i < grads.length; i++) {
        const g = grads[i] as tf.Tensor | (() => tf.Tensor);
        thunks[i] = typeof g === 'function' ? g : () => g;
      }
      return thunks;
    },
  };
  if (options.attrs !== undefined) node.attrs = options.attrs;
  pushTapeNode(node);
  // Copies recorded after the node: the tape links them to the inputs and to this op's outputs.
  node.saved = saveForBackward([...(saveInputs ? inputs : []), ...(saveOutputs ? outputs : [])]);
  return outputs;
}
