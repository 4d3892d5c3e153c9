import type { LossScaleState } from '../precision/lossScale.js';
import { type MixedPrecisionPolicy, initialScaler } from '../precision/mixedPrecision.js';
import { type Tree, tidyTree, treeDispose, treeDisposeReplaced } from '../tree/tree.js';
import { checkFunction } from '../util/validate.js';
import { BatchStream } from './batches.js';
import { type ResolvedProblemConfig, resolveConfig } from './config.js';
import type { HypergradientOptions } from './hypergradients/types.js';
import { InnerLoop, type InnerLoopRecord, cloneTree } from './innerLoop.js';
import type { ProblemOptions, ProblemRole, TrainingStep } from './problemOptions.js';

export type { Module, ProblemOptions, ProblemOptionsBase, ProblemRole, StepContext, StepOutput, StepResult, TrainingStep } from './problemOptions.js';

/**
 * A node of the multilevel dataflow graph (BETTY's `Problem`): parameters, an optimizer, data and a
 * training step, and their state. Thin: the engine schedules, the pure inner step computes, and
 * this class holds the state: parameters, optimizer state, update count, the loss scaler, the
 * batch stream and the inner-loop record.
 */
export abstract class Problem<P extends Tree = Tree, B = unknown> {
  /** The problem's name. */
  readonly name: string;
  /** Resolved configuration. */
  readonly config: ResolvedProblemConfig;
  /** The options it was made with. */
  readonly options: ProblemOptions<P, B>;
  /** The training step (the options', or the parallel backend's). */
  readonly trainingStep: TrainingStep<P, B>;
  /** Optimizer updates made so far. */
  updates = 0;
  /** The loss scaler's state (null without loss scaling). */
  scaler: LossScaleState | null;
  /**
   * The batches it draws (the engine's).
   * @internal
   */
  readonly stream: BatchStream<B>;
  /**
   * Its inner loop since the parents last stepped (the engine's; read it through {@link Problem.innerLoop}).
   * @internal
   */
  readonly loop = new InnerLoop<P, B>();
  private role: ProblemRole = { record: true, snapshots: null, deferred: false };
  private restartPending = false;
  private paramsValue: P;
  private state: Tree;
  private readonly initialParams: P;

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
    const step = options.trainingStep ?? (options.parallel?.trainingStep.bind(options.parallel) as unknown as Problem<P, B>['trainingStep'] | undefined);
    this.trainingStep = checkFunction(`problem '${name}'`, 'trainingStep', step, 'a function (batch, ctx) => loss');
    this.name = name;
    this.options = options;
    this.config = resolveConfig(name, options.config, defaultMethod);
    this.scaler = initialScaler(this.precision);
    this.stream = new BatchStream<B>(name, options.data);
    this.initialParams = cloneTree(options.module.params);
    this.paramsValue = cloneTree(options.module.params);
    this.state = tidyTree(() => cloneTree(options.optimizer.init(this.paramsValue)));
    this.loop.start(this.paramsValue, this.state, 0);
  }

  /** The current parameters (owned by the problem; clone them to keep them past the next update). */
  get params(): P {
    return this.paramsValue;
  }

  /** The current optimizer state. */
  get optimizerState(): Tree {
    return this.state;
  }

  /** The mixed-precision policy of the configuration. */
  get precision(): MixedPrecisionPolicy {
    return { precision: this.config.precision, lossScale: this.config.lossScale };
  }

  /** The batch of the last training step (what implicit hypergradients evaluate on). */
  get lastBatch(): B | undefined {
    return this.stream.current;
  }

  /** The inner-loop record (start state and updates since the parents last stepped). */
  get innerLoop(): InnerLoopRecord<P, B> {
    return this.loop.record;
  }

  /**
   * Whether the engine defers this problem's inner loop: a problem differentiated by plain
   * `unrolled` that has parents records its updates and its parents' objectives compute them.
   */
  get deferred(): boolean {
    return this.role.deferred;
  }

  /** Sets how the engine runs it; a change of what is recorded restarts the record here. */
  assignRole(role: ProblemRole): void {
    const same = role.record === this.role.record && role.snapshots === this.role.snapshots;
    this.role = role;
    if (same) return;
    this.loop.policy = { record: role.record, snapshots: role.snapshots };
    this.loop.start(this.paramsValue, this.state, this.updates);
  }

  /**
   * Replaces the parameters (disposing the old ones); the tensors are copied. The inner loop
   * starts again here: updates recorded before no longer lead to these parameters, so a replay
   * (`unrolled`, `es`) starts from them.
   */
  setParams(params: P): void {
    const next = cloneTree(params);
    treeDispose(this.paramsValue);
    this.paramsValue = next;
    this.loop.start(this.paramsValue, this.state, this.updates);
  }

  /** Uses `batch` as the current batch without drawing (e.g. for a hypergradient on given data). */
  setBatch(batch: B): void {
    this.stream.set(batch);
  }

  /** Draws the next batch, restarting the iterable when it ends; frees owned batches no longer live. */
  async nextBatch(): Promise<B> {
    const batch = await this.stream.next();
    this.stream.release(this.loop.batches());
    return batch;
  }

  /** Takes `(params, state)` as the new state (owned now), freeing the tensors they replace. */
  commit(params: P, state: Tree): void {
    treeDisposeReplaced(this.paramsValue, params);
    treeDisposeReplaced(this.state, state);
    this.paramsValue = params;
    this.state = state;
  }

  /** Sets the state to copies of `(params, state)`. */
  restore(params: P, state: Tree): void {
    treeDispose(this.paramsValue);
    treeDispose(this.state);
    this.paramsValue = cloneTree(params);
    this.state = cloneTree(state);
  }

  /**
   * Marks the inner loop finished (the parents stepped): the next inner loop starts when this
   * problem next steps ({@link Problem.beginInnerLoop}), so that until then its parameters are the
   * trained state the parents just used (what `run()` leaves and validation reads), not already
   * reset.
   */
  startInnerLoop(): void {
    this.restartPending = true;
  }

  /** Whether an inner loop is finished and the next one has not started yet (see {@link Problem.startInnerLoop}). */
  get innerLoopFinished(): boolean {
    return this.restartPending;
  }

  /**
   * Starts the next inner loop if the last one finished: roll back to the loop's start or, for an
   * iterative problem, restart from the initial parameters; then call `onInnerLoopStart` and
   * reset the record. Called by the engine before the problem's next training step.
   */
  beginInnerLoop(): void {
    if (!this.restartPending) return;
    this.restartPending = false;
    if (this.config.rollBack) {
      const { startParams, startState } = this.loop.record;
      this.restore(startParams, startState);
    } else if (this.kind === 'iterative') {
      const fresh = tidyTree(() => this.options.optimizer.init(this.initialParams));
      this.restore(this.initialParams, fresh);
      treeDispose(fresh);
    }
    this.options.onInnerLoopStart?.(this);
    this.loop.start(this.paramsValue, this.state, this.updates);
    this.stream.release(this.loop.batches());
  }

  /**
   * Sets the whole state from a checkpoint (the tensors are copied): parameters, optimizer state,
   * update count, scaler, whether the inner loop just finished, and where it started (for
   * `rollBack`; else it starts at the given state).
   * @internal
   */
  resume(s: { params: P; state: Tree; updates: number; scaler: LossScaleState | null; innerLoopFinished: boolean; start: { params: P; state: Tree; step: number } | null }): void {
    this.restore(s.params, s.state);
    this.updates = s.updates;
    this.scaler = s.scaler === null ? null : { ...s.scaler };
    this.restartPending = s.innerLoopFinished;
    if (s.start === null) this.loop.start(this.paramsValue, this.state, this.updates);
    else this.loop.start(s.start.params, s.start.state, s.start.step);
  }

  /** Frees every tensor the problem holds. */
  dispose(): void {
    treeDispose(this.paramsValue);
    treeDispose(this.state);
    treeDispose(this.initialParams);
    this.loop.dispose();
    this.stream.dispose();
  }
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
