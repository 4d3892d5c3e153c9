import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, Schedule } from '../optim/types.js';
import { applyUpdates, disposeState } from '../optim/transforms.js';
import { type Tree, tidyTree, treeDispose, treeDisposeReplaced, treeFlatten, treeMap } from '../tree/tree.js';
import { treeAdd, treeScale } from '../tree/treeMath.js';
import { type HypergradientOptions, validateHypergradient } from './hypergradients/types.js';
import { type Precision, checkPrecision } from '../precision/formats.js';
import { type LossScaleOptions, type LossScaleState, lossScaleInit, resolveLossScale } from '../precision/lossScale.js';
import { type Snapshot, snapshotTree } from '../precision/snapshot.js';
import type { DataParallel } from '../parallel/dataParallel.js';
import type { ReplicaProgram } from '../parallel/types.js';

/** Where a problem's batches come from: an iterable or async iterable (cycled), or a function. */
export type DataSource<B> = Iterable<B> | AsyncIterable<B> | (() => B | Promise<B>);

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

/** A problem's configuration with defaults filled in. */
export interface ResolvedProblemConfig extends Required<Omit<ProblemConfig, 'hypergradient' | 'lossScale'>> {
  /** How hypergradients pass through this problem's solution. */
  hypergradient: HypergradientOptions;
  /** Dynamic loss scaling, or null (none). */
  lossScale: Required<LossScaleOptions> | null;
}

/** Per-problem configuration (BETTY's `Config`). */
export interface ProblemConfig {
  /** How hypergradients pass through this problem's solution; default cg (10) or unrolled. */
  hypergradient?: HypergradientOptions;
  /** Optimizer updates between steps of the problems that use this one's optimum; default 1. */
  unrollSteps?: number;
  /** Gradients averaged per optimizer update; default 1. */
  gradientAccumulation?: number;
  /** Updates before this problem first lets its parents step; default 0. */
  warmupSteps?: number;
  /** Restore parameters and optimizer state to the start of the inner loop after parents step. */
  rollBack?: boolean;
  /**
   * Number format of the working copy of the parameters (and of what `ctx.round` rounds): in
   * `fp16` and `bf16` the optimizer keeps float32 master parameters, the training step sees them
   * rounded to the format (straight-through gradient, `roundTo`), and gradients are stored in
   * the format (so that overflow shows as Inf) before being unscaled. Default `fp32`.
   */
  precision?: Precision;
  /**
   * Dynamic loss scaling ({@link LossScaleOptions}); default on for `fp16` (initial scale 2^15),
   * off (`false`) otherwise. A step whose scaled gradients are not finite is skipped.
   */
  lossScale?: LossScaleOptions | false;
}

/** A problem's module: parameters and a pure forward function of them. */
export interface Module<P extends Tree> {
  /** Initial parameters (copied: the problem owns its own tensors). */
  params: P;
  /** `forward(params, ...inputs)`, used by `ctx.forward`. */
  forward?: (params: P, ...inputs: never[]) => tf.Tensor;
}

/** Options of {@link ImplicitProblem} and {@link IterativeProblem}. */
export interface ProblemOptions<P extends Tree, B> {
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
   * no longer needed (iterables' batches are the caller's and are never freed).
   */
  data: DataSource<B>;
  /** The loss on one batch; reach other problems through `ctx.get(name)`. */
  trainingStep: (batch: B, ctx: StepContext<P>) => StepResult;
  /** Configuration; see {@link ProblemConfig}. */
  config?: ProblemConfig;
  /** Called when an inner loop starts (after the parents step). */
  onInnerLoopStart?: (problem: Problem<P, B>) => void;
  /** Applied to the parameters after each update (e.g. clamping), with tf ops. */
  paramCallback?: (params: P) => P;
  /** Applied to the gradients before each update, with tf ops. */
  gradCallback?: (grads: P) => P;
  /**
   * Compute this problem's gradients and its implicit hypergradients' Hessian-vector products on
   * data-parallel replicas ({@link DataParallel}); its batches are then the global batch keys
   * (numbers) the replicas' program understands, and `trainingStep` should be
   * {@link parallelTrainingStep}`(parallel)` (the same loss in this thread). The problem must be a
   * leaf (no lower problems), in fp32, with an implicit method or `firstOrder`.
   */
  parallel?: DataParallel;
}

/**
 * A training step from a replica program, in this thread: the program's loss on the whole global
 * batch `key`, reading the upper problems `upperNames`. The batch's tensors belong to the
 * enclosing `tf.tidy` (the engine runs every training step inside one).
 */
export function programTrainingStep<P extends Tree>(program: ReplicaProgram, upperNames: readonly string[]): (key: number, ctx: StepContext<P>) => tf.Scalar {
  return (key, ctx) => program.loss(ctx.params, Object.fromEntries(upperNames.map((n) => [n, ctx.get(n)])), program.batch(key, { index: 0, count: 1 }));
}

/** The training step of a data-parallel problem in this thread ({@link programTrainingStep} of its local program). */
export function parallelTrainingStep<P extends Tree>(dp: DataParallel): (key: number, ctx: StepContext<P>) => tf.Scalar {
  return programTrainingStep<P>(dp.local, dp.upperNames);
}

/** The steps recorded since the inner loop started, for `unrolled` hypergradients. */
export interface InnerLoopRecord<P extends Tree, B> {
  /** Parameters at the start of the inner loop. */
  startParams: P;
  /** Optimizer state at the start. */
  startState: Tree;
  /** Update count at the start. */
  startStep: number;
  /** The batches of each update since the start. */
  steps: B[][];
  /**
   * Parameters and optimizer state before each update, kept on the host in the format of the
   * `unrolled` method's `checkpoints` (empty without them).
   */
  snapshots: Snapshot[];
}

function positiveInt(name: string, what: string, x: number | undefined, min = 1): number {
  const v = x ?? min;
  if (!(Number.isInteger(v) && v >= min)) throw new Error(`problem '${name}': config.${what} must be an integer >= ${min}, got ${String(x)}`);
  return v;
}

function cloneTree<T extends Tree>(t: T): T {
  return tidyTree(() => treeMap((x) => tf.keep(tf.clone(x)), t));
}

/**
 * A node of the multilevel dataflow graph (BETTY's `Problem`): parameters, an optimizer, data and a
 * training step. Thin: the engine orchestrates; this class holds the state and applies updates.
 */
export abstract class Problem<P extends Tree = Tree, B = unknown> {
  /** The problem's name. */
  readonly name: string;
  /** Resolved configuration. */
  readonly config: ResolvedProblemConfig;
  /** The options it was made with. */
  readonly options: ProblemOptions<P, B>;
  /** Optimizer updates made so far. */
  updates = 0;
  /**
   * Set by the engine for a problem differentiated by `unrolled` that has parents: its inner-loop
   * steps are recorded, not run, and its parents' objectives compute them once, differentiably
   * (no eager pass followed by a replay). See {@link Problem.pendingSteps}.
   */
  deferred = false;
  /** Recorded updates not yet reflected in `params` (deferred problems only). */
  pendingSteps = 0;
  /**
   * Whether updates are recorded for unrolled replays; the engine turns it off for problems that
   * have no parents (nothing would replay them, and the record would only grow).
   */
  recording = true;
  /** Batches drawn from a function source: the problem owns (and frees) them. */
  private readonly owned = new Set<B>();
  private captured: [P, Tree] | null = null;
  /** The loss scaler's state (null without loss scaling). */
  scaler: LossScaleState | null = null;
  private paramsValue: P;
  private state: Tree;
  private readonly initialParams: P;
  private accumulated: P | null = null;
  private accumulatedCount = 0;
  private pendingBatches: B[] = [];
  private iterator: Iterator<B> | AsyncIterator<B> | null = null;
  private last: B | undefined;
  private record: InnerLoopRecord<P, B>;

  /** Whether the parameters persist across inner loops (implicit) or restart (iterative). */
  abstract readonly kind: 'implicit' | 'iterative';

  protected constructor(options: ProblemOptions<P, B>, defaultMethod: HypergradientOptions) {
    const { name } = options;
    if (typeof name !== 'string' || name === '') throw new Error(`Problem: name must be a non-empty string, got ${String(name)}`);
    if (options.module?.params === undefined) throw new Error(`problem '${name}': module.params is missing`);
    if (typeof options.optimizer?.init !== 'function' || typeof options.optimizer.update !== 'function') {
      throw new Error(`problem '${name}': optimizer is missing or not a gradient transformation ({init, update}), e.g. sgd({lr: 0.1})`);
    }
    if (options.data === undefined || options.data === null) throw new Error(`problem '${name}': data is missing (an iterable, async iterable or function of batches)`);
    if (typeof options.trainingStep !== 'function') throw new Error(`problem '${name}': trainingStep must be a function (batch, ctx) => loss`);
    const c = options.config ?? {};
    const hypergradient = c.hypergradient ?? defaultMethod;
    validateHypergradient(name, hypergradient);
    this.name = name;
    this.options = options;
    this.config = {
      hypergradient,
      unrollSteps: positiveInt(name, 'unrollSteps', c.unrollSteps),
      gradientAccumulation: positiveInt(name, 'gradientAccumulation', c.gradientAccumulation),
      warmupSteps: positiveInt(name, 'warmupSteps', c.warmupSteps, 0),
      rollBack: c.rollBack ?? false,
      precision: checkPrecision(`problem '${name}': config.precision`, c.precision ?? 'fp32'),
      lossScale: null,
    };
    const ls = c.lossScale ?? (this.config.precision === 'fp16' ? {} : false);
    if (ls !== false) {
      try {
        this.config.lossScale = resolveLossScale(ls);
      } catch (e) {
        throw new Error(`problem '${name}': config.${(e as Error).message}`);
      }
      this.scaler = lossScaleInit(this.config.lossScale);
    }
    this.initialParams = cloneTree(options.module.params);
    this.paramsValue = cloneTree(options.module.params);
    this.state = tidyTree(() => cloneTree(options.optimizer.init(this.paramsValue)));
    this.record = this.newRecord();
  }

  /** The current parameters (owned by the problem; clone them to keep them past the next update). */
  get params(): P {
    return this.paramsValue;
  }

  /** The current optimizer state. */
  get optimizerState(): Tree {
    return this.state;
  }

  /** The batch of the last training step (what implicit hypergradients evaluate on). */
  get lastBatch(): B | undefined {
    return this.last;
  }

  /** The inner-loop record (start state and batches since the parents last stepped). */
  get innerLoop(): InnerLoopRecord<P, B> {
    return this.record;
  }

  /** Replaces the parameters (disposing the old ones); the tensors are copied. */
  setParams(params: P): void {
    const next = cloneTree(params);
    treeDispose(this.paramsValue);
    this.paramsValue = next;
  }

  /** Draws the next batch, restarting the iterable when it ends. */
  async nextBatch(): Promise<B> {
    const data = this.options.data;
    let batch: B;
    if (typeof data === 'function') {
      batch = await (data as () => B | Promise<B>)();
      this.owned.add(batch);
    } else {
      for (let attempt = 0; ; attempt++) {
        if (this.iterator === null) {
          const asyncIt = (data as AsyncIterable<B>)[Symbol.asyncIterator];
          this.iterator = asyncIt ? asyncIt.call(data) : (data as Iterable<B>)[Symbol.iterator]();
        }
        const r = await this.iterator.next();
        if (!r.done) {
          batch = r.value;
          break;
        }
        this.iterator = null;
        if (attempt > 0) throw new Error(`problem '${this.name}': data yielded no batch`);
      }
    }
    this.last = batch;
    this.releaseBatches();
    return batch;
  }

  /**
   * Frees the tensors of owned batches (from a function source) that are no longer the current
   * batch, pending in an accumulation, or in the inner-loop record.
   */
  private releaseBatches(): void {
    if (this.owned.size === 0) return;
    const live = new Set<B>([...this.pendingBatches, ...this.record.steps.flat()]);
    if (this.last !== undefined) live.add(this.last);
    for (const b of this.owned) {
      if (live.has(b)) continue;
      this.owned.delete(b);
      tf.dispose(tensorsIn(b));
    }
  }

  /** Uses `batch` as the current batch without drawing (e.g. for a hypergradient on given data). */
  setBatch(batch: B): void {
    this.last = batch;
  }

  /**
   * Adds a gradient (computed on `batch`) to the accumulator; once `gradientAccumulation` are in,
   * applies the optimizer update. Returns true when an update was made.
   */
  accumulate(grads: P, batch: B): boolean {
    const g = this.options.gradCallback ? tidyTree(() => (this.options.gradCallback as (g: P) => P)(grads)) : grads;
    const sum = this.accumulated === null ? cloneTree(g) : tidyTree(() => treeMap((a, b) => tf.keep(tf.add(a, b)), this.accumulated as P, g));
    if (this.accumulated !== null) treeDispose(this.accumulated);
    this.accumulated = sum;
    this.accumulatedCount++;
    this.pendingBatches.push(batch);
    if (this.accumulatedCount < this.config.gradientAccumulation) return false;
    const mean = this.accumulated;
    this.accumulated = null;
    const n = this.accumulatedCount;
    this.accumulatedCount = 0;
    const o = this.config.hypergradient;
    const checkpoint = this.recording && o.method === 'unrolled' && o.checkpoints !== undefined ? snapshotTree([this.paramsValue, this.state], o.checkpoints) : null;
    const [params, state] = tidyTree(() => {
      const avg = n === 1 ? mean : treeScale(mean, 1 / n);
      const [p, s] = this.update(this.paramsValue, this.state, avg, this.updates);
      return [treeMap((x) => tf.keep(x), p), treeMap((x) => tf.keep(x), s)] as [P, Tree];
    });
    treeDispose(mean);
    treeDisposeReplaced(this.paramsValue, params);
    treeDisposeReplaced(this.state, state);
    this.paramsValue = params;
    this.state = state;
    if (this.recording) this.record.steps.push(this.pendingBatches);
    if (this.recording && checkpoint !== null) this.record.snapshots.push(checkpoint);
    this.pendingBatches = [];
    this.updates++;
    return true;
  }

  /**
   * Records one deferred training step on `batch` (no computation); returns true when it completes
   * an update (after `gradientAccumulation` batches).
   */
  recordDeferred(batch: B): boolean {
    this.pendingBatches.push(batch);
    if (this.pendingBatches.length < this.config.gradientAccumulation) return false;
    this.record.steps.push(this.pendingBatches);
    this.pendingBatches = [];
    this.updates++;
    this.pendingSteps++;
    return true;
  }

  /** Keeps copies of the final parameters and state a parent computed for the pending steps (first wins). */
  capture(params: P, state: Tree): void {
    if (this.captured !== null || this.pendingSteps === 0) return;
    this.captured = [cloneTree(params), cloneTree(state)];
  }

  /** Whether a parent's objective already computed the pending steps' result. */
  get hasCaptured(): boolean {
    return this.captured !== null;
  }

  /** Makes the pending steps real: parameters and state become `params` and `state` (copied). */
  materialize(params?: P, state?: Tree): void {
    const [p, st]: [P | undefined, Tree | undefined] = params !== undefined && state !== undefined ? [params, state] : (this.captured ?? [undefined, undefined]);
    if (p === undefined || st === undefined) throw new Error(`problem '${this.name}': nothing to materialize`);
    treeDispose(this.paramsValue);
    disposeState(this.state);
    this.paramsValue = cloneTree(p);
    this.state = cloneTree(st);
    this.dropCaptured();
    this.pendingSteps = 0;
  }

  private dropCaptured(): void {
    if (this.captured !== null) {
      treeDispose(this.captured[0]);
      disposeState(this.captured[1]);
      this.captured = null;
    }
  }

  /**
   * One optimizer update as a pure function (also used, differentiably, by unrolled replays). With
   * `releaseGrads`, the caller gives `grads` up: they are freed as soon as the optimizer has used
   * them, before the parameters are updated (lower peak memory inside a recorded step).
   */
  update(params: P, state: Tree, grads: Tree, step: number, releaseGrads = false): [P, Tree] {
    // In a scope, so the updates and other temporaries are freed as soon as the step is made.
    return tidyTree(() => {
      const [u, s] = this.options.optimizer.update(grads, state, params, step);
      if (releaseGrads) {
        const kept = new Set([...treeFlatten(u).leaves, ...treeFlatten(s).leaves, ...treeFlatten(params).leaves, ...treeFlatten(state).leaves]);
        tf.dispose(treeFlatten(grads).leaves.filter((g) => !kept.has(g)));
      }
      const scaled = this.options.schedule ? treeScale(u, this.options.schedule(step)) : u;
      let p = treeAdd(params, scaled) as P;
      if (this.options.paramCallback) p = this.options.paramCallback(p);
      return [p, s] as [P, Tree];
    });
  }

  /** Whether this update count lets the parents step. */
  readyForParents(): boolean {
    const k = this.updates - this.config.warmupSteps;
    return k > 0 && k % this.config.unrollSteps === 0 && this.accumulatedCount === 0;
  }

  /** Starts a new inner loop (after the parents stepped): roll back or restart, and reset the record. */
  startInnerLoop(): void {
    if (this.config.rollBack) this.restore(this.record.startParams, this.record.startState);
    else if (this.kind === 'iterative') this.restore(this.initialParams, tidyTree(() => this.options.optimizer.init(this.initialParams)), true);
    this.options.onInnerLoopStart?.(this);
    this.disposeRecord();
    this.record = this.newRecord();
    this.dropCaptured();
    this.pendingSteps = 0;
    this.releaseBatches();
  }

  private restore(params: P, state: Tree, disposeState_ = false): void {
    treeDispose(this.paramsValue);
    disposeState(this.state);
    this.paramsValue = cloneTree(params);
    this.state = cloneTree(state);
    if (disposeState_) disposeState(state);
  }

  private newRecord(): InnerLoopRecord<P, B> {
    return { startParams: cloneTree(this.paramsValue), startState: cloneTree(this.state), startStep: this.updates, steps: [], snapshots: [] };
  }

  private disposeRecord(): void {
    treeDispose(this.record.startParams);
    disposeState(this.record.startState);
  }

  /** Frees every tensor the problem holds. */
  dispose(): void {
    treeDispose(this.paramsValue);
    disposeState(this.state);
    treeDispose(this.initialParams);
    if (this.accumulated !== null) treeDispose(this.accumulated);
    this.disposeRecord();
    this.dropCaptured();
    for (const b of this.owned) tf.dispose(tensorsIn(b));
    this.owned.clear();
  }
}

/** The tensors inside a batch (a tensor, or arrays and records of them; other values ignored). */
function tensorsIn(batch: unknown): tf.Tensor[] {
  if (batch instanceof tf.Tensor) return [batch];
  if (Array.isArray(batch)) return batch.flatMap(tensorsIn);
  if (batch !== null && typeof batch === 'object') return Object.values(batch).flatMap(tensorsIn);
  return [];
}

/**
 * A problem whose parameters persist across outer steps (warm start): its solution is treated as
 * an optimum, differentiated implicitly (default: `{method: 'cg', iterations: 10}`).
 */
export class ImplicitProblem<P extends Tree = Tree, B = unknown> extends Problem<P, B> {
  /** @inheritDoc */
  readonly kind = 'implicit' as const;
  constructor(options: ProblemOptions<P, B>) {
    super(options, { method: 'cg', iterations: 10 });
  }
}

/**
 * A problem whose parameters restart from their initial values at every inner loop (MAML-style);
 * its steps are recorded and, by default, differentiated by unrolling.
 */
export class IterativeProblem<P extends Tree = Tree, B = unknown> extends Problem<P, B> {
  /** @inheritDoc */
  readonly kind = 'iterative' as const;
  constructor(options: ProblemOptions<P, B>) {
    super(options, { method: 'unrolled' });
  }
}

/**
 * Any problem, whatever its parameter and batch types: the element type of an engine's
 * heterogeneous list (parameters are invariant in `Problem`, so no narrower common type exists).
 */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous collection of generic classes.
export type AnyProblem = Problem<any, any>;
