import * as tf from '@tensorflow/tfjs-core';

/**
 * What a tangent rule sees of one tape node: the tangents of its inputs, their values (read only
 * where the rule says so in `reads`), shapes and the kernel's attributes.
 */
export interface TangentArgs {
  /** The tangent of each input, by the kernel's input name; null where it is zero (a constant). */
  tangents: Record<string, tf.Tensor | null>;
  /** The value of input `key` (throws, naming the kernel, where the tape kept none). */
  value(key: string): tf.Tensor;
  /** The value of output `i` where the tape kept one, else null. */
  output(i: number): tf.Tensor | null;
  /** The shape of input `key`. */
  inputShape(key: string): number[];
  /** The shapes of the outputs. */
  outputShapes: number[][];
  /** The kernel's attributes (`{}` where it has none). */
  attrs: Record<string, unknown>;
}

/**
 * A forward-mode (tangent, JVP) rule for one kernel: from the tangents `t_i` of the inputs, the
 * tangent `dy = sum_i (d y / d x_i) t_i` of each output, as a thunk (called only where that
 * tangent is used), or null where it is zero. The counterpart of a gradient rule, which computes
 * `dx_i = (d y / d x_i)^T dy`; both are linear in what they push.
 */
export interface TangentRule {
  /** The kernel's name (`hypergrad.<name>` for an op recorded by `customVjp`). */
  kernelName: string;
  /**
   * The inputs whose values the rule reads, given which inputs carry a tangent (`present`); `'#i'`
   * names output `i`. Checked before the sweep, so a value the tape did not keep is refused up
   * front. Omitted: none (a linear kernel).
   */
  reads?: (present: Record<string, boolean>) => string[];
  /** How many kernels the rule runs, given which inputs carry a tangent (for `mode: 'auto'`). */
  cost: (present: Record<string, boolean>) => number;
  /**
   * How many kernels the reverse rule runs for one input, where that differs from `cost` of that
   * input alone (a reverse rule recomputes what a tangent rule reads from outputs: `exp(x)`).
   */
  vjpCost?: (present: Record<string, boolean>) => number;
  /** One thunk per output computing its tangent (called only where it is used), or null for zero. */
  jvp(args: TangentArgs): Array<(() => tf.Tensor) | null>;
}

const table = new Map<string, TangentRule>();

/**
 * Registers a tangent rule, so that forward-over-reverse Hessian-vector products
 * (`hvp(f, x, v, { mode: 'forward' })`) can pass through its kernel. Check it against central
 * differences (`jvp` of `vjp`'s reverse mode, or finite differences) before relying on it.
 *
 * @example
 * ```ts
 * registerTangentRule({
 *   kernelName: 'Sinh', reads: () => ['x'], cost: () => 2,
 *   jvp: ({ tangents, value }) => [() => tf.mul(tangents.x as tf.Tensor, tf.cosh(value('x')))],
 * });
 * ```
 */
export function registerTangentRule(rule: TangentRule): void {
  if (typeof rule?.kernelName !== 'string' || rule.kernelName === '') {
    throw new Error(`registerTangentRule: rule.kernelName must be a non-empty kernel name, got ${String(rule?.kernelName)}`);
  }
  if (typeof rule.jvp !== 'function' || typeof rule.cost !== 'function') {
    throw new Error(`registerTangentRule: the rule for '${rule.kernelName}' needs jvp and cost functions`);
  }
  table.set(rule.kernelName, rule);
}

/** The tangent rule of `kernelName`, or undefined. */
export function tangentRule(kernelName: string): TangentRule | undefined {
  return table.get(kernelName);
}

/** The kernels (and hypergrad ops, `hypergrad.<name>`) that have a tangent rule, sorted. */
export function tangentKernels(): string[] {
  return [...table.keys()].sort();
}

/** `t` broadcast to `shape` (no kernel when it has that shape already). */
export function broadcastTangent(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.util.arraysEqual(t.shape, shape as number[]) ? t : tf.broadcastTo(t, shape as number[]);
}

/** The sum of the non-null terms (null when all are null). */
export function sumTerms(terms: Array<tf.Tensor | null>): tf.Tensor | null {
  let acc: tf.Tensor | null = null;
  for (const t of terms) if (t !== null) acc = acc === null ? t : tf.add(acc, t);
  return acc;
}

/** How many inputs carry a tangent. */
export function count(present: Record<string, boolean>): number {
  let n = 0;
  for (const k in present) if (present[k] === true) n++;
  return n;
}
