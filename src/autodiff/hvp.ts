import * as tf from '@tensorflow/tfjs-core';
import { type Tree, flattenAligned, tidyTree, treeFlatten, treeUnflatten } from '../tree/tree.js';
import { checkOneOf } from '../util/validate.js';
import { gradientDepth } from './engineInternals.js';
import { RecordedPath } from './forward/forwardSweep.js';
import { gradients, vjpOf, vjpOrSweep } from './tape.js';

/** How {@link hvp} differentiates the gradient a second time. */
export type HvpMode = 'auto' | 'reverse' | 'forward';

/** What {@link hvp} chose for one call, and the estimates it chose from (see {@link HvpOptions.onChoice}). */
export interface HvpChoice {
  /** The mode taken. */
  mode: 'reverse' | 'forward';
  /** Kernels the forward sweep would run (null where it cannot run). */
  forwardKernels: number | null;
  /** Kernels the backward pass over the recorded gradient is estimated to run. */
  reverseKernels: number;
  /** Why forward mode could not run, or null. */
  obstacle: string | null;
}

/** Options of {@link hvp}. */
export interface HvpOptions {
  /**
   * `'reverse'`: reverse-over-reverse, `H v = grad_x <grad f(x), v>` (a backward pass over the
   * recorded gradient). `'forward'`: forward-over-reverse, `H v = d/de grad f(x + e v)` at `e = 0`
   * (tangents pushed forward through the recorded gradient, from `v` at `x`); throws, naming the
   * kernel, where a kernel on the path has no tangent rule (see `tangentKernels()`), or inside an
   * enclosing gradient. `'auto'` (default): records the gradient once and takes forward mode when
   * every node on the path has a tangent rule, no enclosing gradient records, and the sweep's
   * kernels (the rules' counts) are no more than the backward pass's estimate (one kernel per
   * input on the path, plus one Add per extra consumer of a tensor); else reverse mode.
   */
  mode?: HvpMode;
  /** Called with the mode taken and its estimates, once per call (for tests and tuning). */
  onChoice?: (choice: HvpChoice) => void;
}

const MODES: readonly HvpMode[] = ['auto', 'reverse', 'forward'];

/**
 * The Hessian-vector product `H v` of a scalar function of a tree, `v` shaped like `params`. Both
 * modes record `g = grad f(x)` once and differentiate it again along `v`: reverse-over-reverse as
 * `grad_x <g(x), v>`, forward-over-reverse as the directional derivative
 * `d/de g(x + e v) |_{e=0}` (Pearlmutter 1994, "Fast exact multiplication by the Hessian"); they
 * agree because `H` is symmetric. Each costs about 3 gradient evaluations; which runs fewer kernels
 * depends on the function, and `options.mode` chooses per call (see {@link HvpOptions}). Throws,
 * naming the kernel, when the computation passes through a kernel without a second-order-verified
 * rule (reverse) or a tangent rule (forward).
 *
 * @example
 * ```ts
 * const f = (x: tf.Tensor) => tf.sum(tf.pow(x, 3));
 * hvp(f, tf.tensor([1, 2]), tf.tensor([1, 0])); // diag(6x) v = [6, 0]
 * hvp(f, tf.tensor([1, 2]), tf.tensor([1, 0]), { mode: 'forward' }); // the same, forward-over-reverse
 * ```
 */
export function hvp<P extends Tree>(f: (params: P) => tf.Tensor, params: P, v: P, options: HvpOptions = {}): P {
  const mode = checkOneOf('hvp', 'options.mode', options.mode ?? 'auto', MODES);
  if (mode === 'forward' && gradientDepth() > 0) {
    throw new Error("hvp: mode 'forward' cannot run inside an enclosing gradient (its tangents would be recorded); use mode 'reverse' or 'auto' there");
  }
  const { leaves: [xs, vs], def } = flattenAligned('hvp (params, v)', [params, v]);
  const x = xs as tf.Tensor[];
  const tangents = vs as tf.Tensor[];
  return tidyTree(() => {
    const grads = vjpOrSweep(
      () => gradients(() => f(treeUnflatten<P>(def, x)), x, undefined, { onlyDifferentiated: true }).grads,
      x, tangents, (nodes, ys, tape, start) => (mode === 'reverse' && options.onChoice === undefined
        ? null
        : chooseAndSweep(mode, options.onChoice, new RecordedPath(nodes, tape, start), x, tangents, ys)),
    );
    return treeUnflatten<P>(def, grads);
  });
}

/** The forward sweep's result, or null for the backward pass, as `mode` asks (see {@link HvpOptions}). */
function chooseAndSweep(
  mode: HvpMode, onChoice: HvpOptions['onChoice'], path: RecordedPath, x: tf.Tensor[], v: tf.Tensor[], ys: readonly tf.Tensor[],
): tf.Tensor[] | null {
  const obstacle = mode === 'reverse' ? null : path.obstacle();
  const forwardKernels = mode === 'reverse' || obstacle !== null ? null : path.forwardKernels();
  const reverseKernels = path.reverseKernels();
  if (mode === 'forward' && obstacle !== null) {
    throw new Error(
      `hvp: mode 'forward' cannot push tangents through this function: ${obstacle}. Use mode 'reverse' or 'auto', ` +
        'or add a tangent rule with registerTangentRule({kernelName, reads, cost, jvp}) checked against central differences.',
    );
  }
  const forward = mode === 'forward' || (mode === 'auto' && forwardKernels !== null && gradientDepth() === 0 && forwardKernels <= reverseKernels);
  onChoice?.({ mode: forward ? 'forward' : 'reverse', forwardKernels, reverseKernels, obstacle });
  return forward ? path.push(x, v, ys) : null;
}

/** Options of {@link mixedHvp}. */
export interface MixedHvpOptions {
  /**
   * `'reverse'` (default): `grad_x <grad_y f(x, y), v>`, a backward pass over the recorded
   * `grad_y f`. `'forward'`: `d/de grad_x f(x, y + e v)` at `e = 0`, tangents pushed from `v` at `y`
   * through the recorded `grad_x f` (throws, naming the kernel, where one has no tangent rule, and
   * inside an enclosing gradient). `'auto'`: forward where it can run, else reverse (which then
   * records a second gradient: `grad_y f` in place of `grad_x f`).
   */
  mode?: HvpMode;
}

/**
 * The mixed second derivative applied to a vector: `d/dx <grad_y f(x, y), v> = (d^2 f / dx dy) v`,
 * shaped like `x`, with `v` shaped like `y`. This is the cross term of implicit hypergradients
 * (`-d^2 g/dx dy [H_yy^-1 grad_y F]`, Lorraine et al. 2020; Blondel et al. 2022). In forward mode
 * (`options.mode`) it is the directional derivative of `grad_x f` along `v` in `y` (Pearlmutter 1994).
 *
 * @example
 * ```ts
 * const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.square(x), y));
 * mixedHvp(f, tf.tensor([1, 2]), tf.tensor([3, 4]), tf.tensor([1, 1])); // 2x * v = [2, 4]
 * mixedHvp(f, tf.tensor([1, 2]), tf.tensor([3, 4]), tf.tensor([1, 1]), { mode: 'forward' }); // the same
 * ```
 */
export function mixedHvp<X extends Tree, Y extends Tree>(f: (x: X, y: Y) => tf.Tensor, x: X, y: Y, v: Y, options: MixedHvpOptions = {}): X {
  const mode = checkOneOf('mixedHvp', 'options.mode', options.mode ?? 'reverse', MODES);
  if (mode === 'forward' && gradientDepth() > 0) {
    throw new Error("mixedHvp: mode 'forward' cannot run inside an enclosing gradient (its tangents would be recorded); use mode 'reverse' or 'auto' there");
  }
  const xf = treeFlatten(x, 'x');
  const { leaves: [ys, vl], def: ydef } = flattenAligned('mixedHvp (y, v)', [y, v]);
  const yl = ys as tf.Tensor[];
  if (mode !== 'reverse' && gradientDepth() === 0) {
    let obstacle: string | null = null;
    try {
      return tidyTree(() => treeUnflatten<X>(xf.def, vjpOrSweep(() => {
        const yt = treeUnflatten<Y>(ydef, yl);
        return gradients(() => f(treeUnflatten<X>(xf.def, xf.leaves), yt), xf.leaves, undefined, { onlyDifferentiated: true }).grads;
      }, yl, null, (nodes, outs, tape, start) => {
        const path = new RecordedPath(nodes, tape, start);
        obstacle = path.obstacle();
        if (obstacle !== null && mode === 'forward') {
          throw new Error(`mixedHvp: mode 'forward' cannot push tangents through this function: ${obstacle}. Use mode 'reverse' or 'auto', or add a tangent rule with registerTangentRule.`);
        }
        return obstacle === null ? path.push(yl, vl as tf.Tensor[], outs) : null;
      })));
    } catch (e) {
      if (obstacle === null || mode === 'forward') throw e;
    }
  }
  return tidyTree(() => {
    const { grads } = vjpOf(() => {
      const xt = treeUnflatten<X>(xf.def, xf.leaves);
      return gradients(() => f(xt, treeUnflatten<Y>(ydef, yl)), yl, undefined, { onlyDifferentiated: true }).grads;
    }, xf.leaves, vl as tf.Tensor[], { values: false });
    return treeUnflatten<X>(xf.def, grads);
  });
}
