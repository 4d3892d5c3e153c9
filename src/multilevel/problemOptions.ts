import type * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, Schedule } from '../optim/types.js';
import type { Tree } from '../tree/tree.js';
import type { DataSource } from './batches.js';
import type { ProblemConfig } from './config.js';
import type { RecordPolicy } from './innerLoop.js';
import type { ParallelBackend } from './oracle.js';
import type { Problem } from './problem.js';

/*
 * The options a problem takes and what its training step sees (the types of problem.ts, kept
 * apart so that the class file holds the state and its transitions only).
 */

/** What `trainingStep` sees: its own parameters and, by name, those it depends on. */
export interface StepContext<P extends Tree = Tree> {
  /** This problem's parameters (the ones differentiated). */
  readonly params: P;
  /**
   * Another problem's parameters by name: an upper problem's parameters (`u2l`), or a lower
   * problem's optimum (`l2u`), through which hypergradients flow. Other names are an error.
   */
  get<T extends Tree = Tree>(name: string): T;
  /** `module.forward(params, ...inputs)` (its output rounded to the problem's precision). */
  forward(...inputs: unknown[]): tf.Tensor;
  /**
   * `x` rounded to the problem's `config.precision` with a straight-through gradient (identity in
   * fp32): apply it to the activations of a 16-bit forward pass.
   */
  round<T extends tf.Tensor>(x: T): T;
}

/** A training step's result: the scalar loss, or the loss with metrics to log. */
export type StepResult = tf.Tensor | StepOutput;

/** The loss with named metrics. */
export interface StepOutput {
  /** The scalar loss to differentiate. */
  loss: tf.Tensor;
  /** Metrics (tensors or numbers). */
  [metric: string]: tf.Tensor | number;
}

/** A problem's module: parameters and a pure forward function of them. */
export interface Module<P extends Tree> {
  /** Initial parameters (copied: the problem owns its own tensors). */
  params: P;
  /** `forward(params, ...inputs)`, used by `ctx.forward`. */
  forward?: (params: P, ...inputs: never[]) => tf.Tensor;
}

/** The options every problem takes (see {@link ProblemOptions}). */
export interface ProblemOptionsBase<P extends Tree, B> {
  /** Unique name; other problems reach this one by it. */
  name: string;
  /** Parameters and forward function. */
  module: Module<P>;
  /** A gradient transformation such as `sgd({lr: 0.1})`. */
  optimizer: GradientTransformation<Tree>;
  /** Optional multiplier on the updates: `u_t * schedule(t)`. */
  schedule?: Schedule;
  /**
   * Batches, cycled. Batches from a function are owned by the problem: their tensors are freed once
   * no longer needed (iterables' batches are the caller's and are never freed). In a multilevel
   * loop each problem draws its own batch when it steps: leaves every iteration, a parent when its
   * lower problems are ready, so a parent draws once per outer step.
   */
  data: DataSource<B>;
  /** Configuration; see {@link ProblemConfig}. */
  config?: ProblemConfig;
  /** Called when an inner loop starts: at the problem's first step after its parents stepped. */
  onInnerLoopStart?: (problem: Problem<P, B>) => void;
  /** Applied to the parameters after each update (e.g. clamping), with tf ops. */
  paramCallback?: (params: P) => P;
  /**
   * Applied to each micro-batch's gradient before the mean and the update, with tf ops (so the
   * unrolled methods differentiate through it).
   */
  gradCallback?: (grads: P) => P;
}

/** A problem's loss on one batch; it reaches other problems through `ctx.get(name)`. */
export type TrainingStep<P extends Tree, B> = (batch: B, ctx: StepContext<P>) => StepResult;

/** Options of {@link ImplicitProblem} and {@link IterativeProblem}. */
export interface ProblemOptions<P extends Tree, B> extends ProblemOptionsBase<P, B> {
  /**
   * The loss on one batch; reach other problems through `ctx.get(name)`. Required unless
   * `parallel` is given (then the backend's loss in this thread is the default).
   */
  trainingStep?: TrainingStep<P, B>;
  /**
   * Compute this problem's gradients and its implicit hypergradients' Hessian-vector products
   * elsewhere, e.g. on data-parallel replicas (`DataParallel`): its batches are then the global
   * batch keys (numbers) the backend understands. The problem must be a leaf (no lower problems),
   * in fp32, with a method that needs only the oracle's products (cg, neumann, fixedPoint,
   * firstOrder).
   */
  parallel?: ParallelBackend;
}

/** How the engine runs a problem (assigned once per engine, from the graph and the method). */
export interface ProblemRole extends RecordPolicy {
  /** The inner loop is recorded only and computed inside the parents' objectives. */
  deferred: boolean;
}
