import type * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, Schedule } from '../../optim/types.js';
import type { Tree } from '../../tree/tree.js';
import type { InnerLoopRecord, RecordedStep } from '../innerLoop.js';
import type { CgOptions } from './cg.js';
import type { CustomOptions } from './custom.js';
import type { EsOptions } from './es.js';
import type { FiniteDifferenceOptions } from './finiteDifference.js';
import type { FirstOrderOptions } from './firstOrder.js';
import type { FixedPointOptions } from './fixedPoint.js';
import type { NeumannOptions } from './neumann.js';
import type { SamaOptions } from './sama.js';
import type { UnrolledOptions } from './unrolled.js';

/**
 * A lower problem's recorded inner loop and its pure step, for the methods that differentiate
 * (or re-run) the inner loop itself: `unrolled` and `es`.
 */
export interface InnerLoopView {
  /** The steps since the inner loop started, with its start state. */
  readonly record: InnerLoopRecord<Tree, unknown>;
  /**
   * One recorded update as a pure function `(w, s, theta) -> (w', s')`: the problem's inner step
   * (micro-batches, `gradCallback`, optimizer, 16-bit storage) on that update's batches, with the
   * uppers' parameters `theta`. Differentiable in all three arguments.
   */
  readonly step: (w: Tree, s: Tree, theta: readonly Tree[], recorded: RecordedStep<unknown>) => [Tree, Tree];
}

/** A lower problem's optimizer as it stands, for methods that adapt to it (SAMA). */
export interface OptimizerView {
  /** The gradient transformation. */
  readonly transformation: GradientTransformation<Tree>;
  /** Its current state. */
  readonly state: Tree;
  /** Updates made so far (the next update's 0-based index). */
  readonly step: number;
  /** The multiplier on the updates, if any. */
  readonly schedule?: Schedule;
}

/**
 * What a hypergradient method sees of the lower problem L it differentiates through: the pieces
 * of the implicit function `w*(theta)`, as explicit values and pure functions (no problem fields).
 */
export interface HypergradientContext {
  /** L's name, for error messages. */
  name: string;
  /**
   * L's total objective `F(w, theta)`: its loss on its current batch, with its own lower problems'
   * responses inside; `theta` are the parameters of L's upper problems, in `upperNames` order.
   */
  objective: (w: Tree, theta: Tree[]) => tf.Scalar;
  /** The solution `w*` (L's current parameters). */
  w: Tree;
  /** The upper parameters `theta` the solution depends on. */
  theta: Tree[];
  /** Names of L's upper problems, matching `theta`. */
  upperNames: readonly string[];
  /**
   * `u -> d^2F/dw^2 u` at `(w, theta)`, from L's gradient oracle: autodiff of `objective` in this
   * thread, or data-parallel replicas.
   */
  hessianVector: (u: Tree) => Tree;
  /** `x -> (d^2F/dtheta dw) x`, one tree per upper, from the same oracle. */
  mixedVector: (x: Tree) => Tree[];
  /**
   * L's inner loop since its parents last stepped and its pure step (see {@link InnerLoopView});
   * throws, naming the method to use, when L records no inner loop.
   */
  readonly innerLoop: InnerLoopView;
  /** L's optimizer, its state and update count. */
  readonly optimizer: OptimizerView;
}

/**
 * A hypergradient method: the vector-Jacobian product of the solution map,
 * `(d w_star / d theta)^T v`, returned as one tree per upper problem. Built-ins are chosen per
 * problem by {@link HypergradientOptions}; a function of this signature plugs in as
 * `{method: 'custom', fn}`.
 */
export type HypergradientMethod = (ctx: HypergradientContext, v: Tree) => Tree[];

/**
 * A method that draws random numbers (ES) exposes its generator's 32-bit state, so that an engine
 * checkpoint saves it and a resumed run draws what the uninterrupted one would have.
 */
export interface WithRandomState {
  /** The generator's state. */
  randomState: {
    /** The current state. */
    get(): number;
    /** Sets it (from a checkpoint). */
    set(state: number): void;
  };
}

/**
 * How hypergradients pass through a problem's solution, with per-method options (one file per
 * method under `hypergradients/`, collected in {@link HYPERGRADIENTS}):
 * - `unrolled`: reverse mode through the recorded inner steps (optionally only the last `truncate`).
 * - `neumann`: `H^-1 v ~ alpha sum_{j=0..K} (I - alpha H)^j v`, K + 1 terms (Lorraine et al. 2020).
 * - `cg`: conjugate gradient on `(H + damping I) x = v` (Rajeswaran et al. 2019).
 * - `fixedPoint`: iterate `x = v + (I - alpha H) x`, K terms (hypertorch; Grazzi et al. 2020).
 * - `finiteDifference`: DARTS (Liu et al. 2019): central differences of `grad_theta F` at
 *   `w +- eps v`, `eps = alpha / ||v||`, scaled by `learningRate` (identity inverse Hessian).
 * - `sama`: SAMA (Choe et al. 2023): identity inverse Hessian, `v` scaled by the diagonal Jacobian
 *   of the optimizer's update, the mixed term by central differences.
 * - `es`: evolution strategies: antithetic Gaussian perturbations of `theta` through the recorded
 *   inner loop, no derivatives of the loop (zero-order).
 * - `firstOrder`: drop the implicit term.
 * - `custom`: your own {@link HypergradientMethod}.
 * The implicit methods return `-(d^2 F / dtheta dw) x` with `x` their approximation of `H^-1 v`.
 */
export type HypergradientOptions =
  | UnrolledOptions | NeumannOptions | CgOptions | FixedPointOptions | FiniteDifferenceOptions | SamaOptions | EsOptions
  | FirstOrderOptions | CustomOptions;

/** The method names, as in {@link HypergradientOptions}. */
export type MethodName = HypergradientOptions['method'];

/** Something with a discriminant `method`. */
export interface WithMethod<M extends string> {
  /** Discriminant. */
  method: M;
}

/** The options of method `M`. */
export type OptionsOf<M extends MethodName> = Extract<HypergradientOptions, WithMethod<M>>;

/**
 * What a method needs from its problem's inner loop: whether the engine records the batches of
 * each update (and the loop's start state), host snapshots before each update (in this format),
 * and whether the inner loop is deferred: recorded only, and computed once inside the parents'
 * objectives (no eager pass followed by a replay).
 */
export interface InnerLoopNeeds {
  /** Record each update's batches and the loop's start state. */
  record: boolean;
  /** Store a host snapshot of (parameters, optimizer state) before each update, in this format. */
  snapshots?: 'fp32' | 'fp16' | 'bf16';
  /** Run the recorded steps only inside the parents' objectives (when the problem has parents). */
  defer: boolean;
}

/** Command-line style overrides a method's defaults are filled from (see {@link MethodEntry.defaults}). */
export interface MethodOverrides {
  /** Iterations of the method's solver (truncation for `unrolled`, samples for `es`). */
  iterations?: number;
  /** The method's step (`alpha` of Neumann, fixed point, DARTS, SAMA; `sigma` of ES). */
  alpha?: number;
  /**
   * The problem's step for series solvers (Neumann, fixed point): below `2 / lambda_max` of the
   * inner Hessian. Used when `alpha` is not given.
   */
  seriesStep?: number;
  /** The problem's damping for CG (`(H + damping I) x = v`; for an indefinite inner Hessian). */
  damping?: number;
}

/**
 * One row of the method table: everything about a method in one place. Each method file exports
 * its row; {@link HYPERGRADIENTS} collects them, typed over the method union (a method missing
 * from the table does not compile).
 */
export interface MethodEntry<M extends MethodName> {
  /** The discriminant. */
  readonly method: M;
  /** One line for listings. */
  readonly summary: string;
  /** A complete options object from overrides (the CLI's and the problems' defaults). */
  defaults(overrides?: MethodOverrides): OptionsOf<M>;
  /** Throws, naming `who`, the field, the value and the accepted range, on bad options. */
  validate(who: string, o: OptionsOf<M>): void;
  /** The method as a function of its context. */
  build(o: OptionsOf<M>): HypergradientMethod;
  /** What the method needs from the inner loop. */
  innerLoop(o: OptionsOf<M>): InnerLoopNeeds;
  /**
   * Whether the method uses only the oracle's products (`hessianVector`, `mixedVector`), so that a
   * data-parallel problem (whose products come from replicas) can use it.
   */
  readonly replicaSafe: boolean;
}

/** No inner-loop record: the implicit methods' needs. */
export const NO_INNER_LOOP: InnerLoopNeeds = { record: false, defer: false };
