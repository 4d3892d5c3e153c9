import * as tf from '@tensorflow/tfjs-core';
import { type TapeNode, skipShapeOnlySaves } from './engineInternals.js';

/**
 * A gradient rule for one tfjs kernel, in tfjs's own shape: which inputs the engine must save, and
 * `gradFunc(dy, saved, attrs)` returning one lazy thunk per input. To be differentiable again, a rule
 * must compute only with ops of its saved *inputs* (never saved outputs, which tfjs's tape does not
 * link back to the inputs) and of `dy`.
 */
export type Rule = tf.GradConfig & {
  /**
   * The inputs in `inputsToSave` are read only for their shapes and dtypes (Add, Sum, Reshape...).
   * Under hypergrad's tape such a kernel then saves nothing, so its inputs' buffers are not held
   * for the backward pass; the rule reads them with `inputMeta` (from the tape node's inputs).
   */
  shapesOnly?: boolean;
};

const verified = new Map<string, Rule>();

/**
 * Registers `rule` with tfjs and marks its kernel as second-order verified for hypergrad's checks.
 * Use it for a kernel hypergrad has no rule for, after checking the rule with `checkDerivatives`: a rule registered here is trusted inside Hessian-vector products.
 * @example
 * ```ts
 * registerRule({
 *   kernelName: 'Sinh', inputsToSave: ['x'],
 *   gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.cosh(x)) }),
 * });
 * ```
 */
export function registerRule(rule: Rule): void {
  if (typeof rule?.kernelName !== 'string' || rule.kernelName === '') {
    throw new Error(`registerRule: rule.kernelName must be a non-empty kernel name, got ${String(rule?.kernelName)}`);
  }
  if (typeof rule.gradFunc !== 'function') {
    throw new Error(`registerRule: rule.gradFunc for '${rule.kernelName}' must be a function`);
  }
  tf.registerGradient(rule);
  verified.set(rule.kernelName, rule);
}

/** True when `kernelName`'s registered rule is hypergrad's and reads its saved inputs' shapes only. */
function savesShapesOnly(kernelName: string): boolean {
  const ours = verified.get(kernelName);
  return ours?.shapesOnly === true && tf.getGradient(kernelName)?.gradFunc === ours.gradFunc;
}

/** Makes kernels whose rules read only shapes save nothing under hypergrad's tape. Idempotent. */
export function installShapeOnlySaves(): void {
  skipShapeOnlySaves(savesShapesOnly);
}

let nodeInputs: Record<string, tf.Tensor> | null = null;

/** Runs `fn` (a tape node's gradient) with that node's inputs visible to {@link inputMeta}. */
export function withNodeInputs<T>(inputs: Record<string, tf.Tensor>, fn: () => T): T {
  const prev = nodeInputs;
  nodeInputs = inputs;
  try {
    return fn();
  } finally {
    nodeInputs = prev;
  }
}

/**
 * The shape and dtype of input `key` (saved at index `i`) of the node whose gradient runs now: from
 * the saved tensor when the engine saved one, else from the node's inputs (a `shapesOnly` rule under
 * hypergrad's tape). Throws, naming the kernel, when neither is there: tfjs's own `tf.grad` running a
 * rule that hypergrad's tape recorded.
 */
export function inputMeta(saved: tf.Tensor[], i: number, key: string, kernel: string): { shape: number[]; dtype: tf.DataType } {
  const t = saved[i] ?? nodeInputs?.[key];
  if (t === undefined) {
    throw new Error(
      `hypergrad: the rule for '${kernel}' has neither a saved input ${i} nor its tape node's inputs; ` +
        `a kernel recorded by hypergrad's tape must be differentiated by hypergrad (grad, valueAndGrad, vjp), not tf.grad`,
    );
  }
  return { shape: t.shape, dtype: t.dtype };
}

/** The kernels that have a second-order-verified rule in hypergrad's table, sorted. */
export function supportedKernels(): string[] {
  return [...verified.keys()].sort();
}

/** How a tape node stands for differentiation. */
export type RuleStatus = 'verified' | 'clone' | 'replaced' | 'unverified' | 'missing';

/**
 * Classifies a tape node: `verified` (hypergrad's rule is the registered one), `clone` (tfjs's
 * internal copy of a saved tensor: identity, exact at any order), `replaced` (hypergrad has a rule
 * but another one was registered over it), `unverified` (a customGrad op or foreign rule: exact at
 * first order only) or `missing` (no gradient at all).
 */
export function ruleStatus(node: TapeNode): RuleStatus {
  if (node.gradient == null) return 'missing';
  if (node.hypergradOp === true) return 'verified';
  const ours = verified.get(node.kernelName);
  if (ours !== undefined) {
    return tf.getGradient(node.kernelName)?.gradFunc === ours.gradFunc ? 'verified' : 'replaced';
  }
  const keys = Object.keys(node.inputs);
  const isKernel = tf.getKernel(node.kernelName, tf.getBackend()) !== undefined;
  if (!isKernel && keys.length === 1 && keys[0] === 'x' && node.outputs.length === 1 && (node.saved?.length ?? 0) === 0) {
    return 'clone';
  }
  return 'unverified';
}
