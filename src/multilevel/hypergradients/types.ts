import type * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../../tree/tree.js';
import { type Precision, checkPrecision } from '../../precision/formats.js';

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
   * Replays L's recorded inner steps since its parents last stepped, from the same start and
   * batches, as a differentiable function of `theta`; with `truncate`, only the last `truncate`
   * steps carry gradient. Returns the final parameters.
   */
  replay: (theta: Tree[], truncate?: number) => Tree;
  /**
   * `(dw_K/dtheta)^T v` by a reverse sweep over the inner steps' stored snapshots (see
   * {@link UnrolledOptions.checkpoints}); with `truncate`, through the last `truncate` steps only.
   */
  reverse: (theta: Tree[], v: Tree, truncate?: number) => Tree[];
  /** `u -> d^2F/dw^2 u` computed elsewhere (data-parallel replicas); default: autodiff of `objective`. */
  hessianVector?: (u: Tree) => Tree;
  /** `x -> (d^2F/dtheta dw) x` per upper, computed elsewhere; default: autodiff of `objective`. */
  mixedVector?: (x: Tree) => Tree[];
}

/**
 * A hypergradient method: the vector-Jacobian product of the solution map,
 * `(d w_star / d theta)^T v`, returned as one tree per upper problem. Built-ins are chosen per problem by
 * {@link HypergradientOptions}; a function of this signature plugs in as `{method: 'custom', fn}`.
 */
export type HypergradientMethod = (ctx: HypergradientContext, v: Tree) => Tree[];

/**
 * How hypergradients pass through a problem's solution, with per-method options.
 * - `unrolled`: reverse mode through the recorded inner steps (optionally only the last `truncate`).
 * - `neumann`: `H^-1 v ~ alpha sum_{j<=K} (I - alpha H)^j v` (Lorraine et al. 2020).
 * - `cg`: conjugate gradient on `(H + damping I) x = v` (Rajeswaran et al. 2019).
 * - `fixedPoint`: iterate `x = v + (I - alpha H) x` to tolerance (hypertorch; Grazzi et al. 2020).
 * - `finiteDifference`: DARTS (Liu et al. 2019): central differences of `grad_theta F` at
 *   `w +- eps v`, `eps = alpha / ||v||`, scaled by `learningRate` (identity inverse Hessian).
 * - `firstOrder`: drop the implicit term.
 * - `custom`: your own {@link HypergradientMethod}.
 * The implicit methods return `-(d^2 F / dtheta dw) x` with `x` their approximation of `H^-1 v`.
 */
export type HypergradientOptions =
  | UnrolledOptions | NeumannOptions | CgOptions | FixedPointOptions | FiniteDifferenceOptions | FirstOrderOptions | CustomOptions;

/** Reverse mode through the recorded inner steps. */
export interface UnrolledOptions {
  /** Discriminant. */
  method: 'unrolled';
  /** Differentiate only through the last `truncate` steps; default all. */
  truncate?: number;
  /**
   * Store the parameters and optimizer state before every inner step on the host in this format,
   * and differentiate by a reverse sweep, one step at a time from those snapshots, instead of one
   * tape through all the steps: memory is the snapshots plus one step's tape. `fp16`/`bf16` halve
   * the snapshots; the sweep then linearises each step at the rounded state (an approximation).
   * Default: no snapshots (one replay through all steps, exact).
   */
  checkpoints?: Precision;
}

/** Neumann series for the inverse Hessian. */
export interface NeumannOptions {
  /** Discriminant. */
  method: 'neumann';
  /** Terms K of the series. */
  iterations: number;
  /** Step alpha; converges for 0 < alpha < 2 / lambda_max(H). */
  alpha: number;
}

/** Conjugate gradient for the inverse Hessian. */
export interface CgOptions {
  /** Discriminant. */
  method: 'cg';
  /** At most this many Hessian-vector products. */
  iterations: number;
  /** Solve `(H + damping I) x = v`; default 0. */
  damping?: number;
  /** Relative residual to stop at; default (and floor) 1e-6. */
  tolerance?: number;
}

/** Fixed-point iteration for the inverse Hessian. */
export interface FixedPointOptions {
  /** Discriminant. */
  method: 'fixedPoint';
  /** At most this many iterations. */
  iterations: number;
  /** Step alpha of the inner map `T(w) = w - alpha grad F`. */
  alpha: number;
  /** Relative update norm to stop at; default 0 (run all iterations). */
  tolerance?: number;
}

/** DARTS's finite-difference approximation. */
export interface FiniteDifferenceOptions {
  /** Discriminant. */
  method: 'finiteDifference';
  /** `eps = alpha / ||v||`; default 0.01. */
  alpha?: number;
  /** Scale xi of the result (DARTS's inner learning rate); default 1 (as BETTY). */
  learningRate?: number;
}

/** No implicit term. */
export interface FirstOrderOptions {
  /** Discriminant. */
  method: 'firstOrder';
}

/** A user-supplied method. */
export interface CustomOptions {
  /** Discriminant. */
  method: 'custom';
  /** The method: `(ctx, v) => (dw/dtheta)^T v`, one tree per upper problem. */
  fn: HypergradientMethod;
}

/** The method names, for messages and the CLI. */
export const HYPERGRADIENT_METHODS = ['unrolled', 'neumann', 'cg', 'fixedPoint', 'finiteDifference', 'firstOrder', 'custom'] as const;

function positiveInt(who: string, name: string, x: unknown): void {
  if (!(typeof x === 'number' && Number.isInteger(x) && x > 0)) {
    throw new Error(`${who}: ${name} must be a positive integer, got ${String(x)}`);
  }
}

function positive(who: string, name: string, x: unknown, optional = false): void {
  if (optional && x === undefined) return;
  if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) throw new Error(`${who}: ${name} must be a positive number, got ${String(x)}`);
}

function nonNegative(who: string, name: string, x: unknown): void {
  if (x === undefined) return;
  if (!(typeof x === 'number' && Number.isFinite(x) && x >= 0)) throw new Error(`${who}: ${name} must be a number >= 0, got ${String(x)}`);
}

/** Checks hypergradient options; errors name the problem, the field, the value and the accepted range. */
export function validateHypergradient(problem: string, o: HypergradientOptions): void {
  const who = `problem '${problem}' config.hypergradient`;
  if (o === null || typeof o !== 'object') throw new Error(`${who} must be an object like {method: 'cg', iterations: 5}`);
  switch (o.method) {
    case 'unrolled':
      if (o.truncate !== undefined) positiveInt(who, 'truncate', o.truncate);
      if (o.checkpoints !== undefined) checkPrecision(`${who}: checkpoints`, o.checkpoints);
      return;
    case 'neumann':
      positiveInt(who, 'iterations', o.iterations);
      positive(who, 'alpha', o.alpha);
      return;
    case 'cg':
      positiveInt(who, 'iterations', o.iterations);
      nonNegative(who, 'damping', o.damping);
      nonNegative(who, 'tolerance', o.tolerance);
      return;
    case 'fixedPoint':
      positiveInt(who, 'iterations', o.iterations);
      positive(who, 'alpha', o.alpha);
      nonNegative(who, 'tolerance', o.tolerance);
      return;
    case 'finiteDifference':
      positive(who, 'alpha', o.alpha, true);
      positive(who, 'learningRate', o.learningRate, true);
      return;
    case 'firstOrder':
      return;
    case 'custom':
      if (typeof o.fn !== 'function') throw new Error(`${who}: fn must be a function (ctx, v) => Tree[]`);
      return;
    default:
      throw new Error(`${who}.method must be one of ${HYPERGRADIENT_METHODS.join(', ')}, got '${String((o as { method: unknown }).method)}'`);
  }
}
