import * as tf from '@tensorflow/tfjs-core';
import { gradients } from '../autodiff/tape.js';
import { type Tree, tidyTree, treeDispose, treeFlatten, treeMap, treeUnflatten } from '../tree/tree.js';
import type { Precision } from '../precision/formats.js';
import { roundedValues } from '../precision/round.js';
import { lossScaleUpdate } from '../precision/lossScale.js';
import { type Dependencies, type Graph, buildGraph } from './graph.js';
import { type LoggingOptions, Logger } from './logger.js';
import { Evaluator } from './objective.js';
import type { AnyProblem, Problem } from './problem.js';

/** Gradients as stored in `precision` (rounded to it; overflow becomes Inf). */
function storeGradients(g: Tree, precision: Precision): Tree {
  return precision === 'fp32' ? g : treeMap((x) => roundedValues(x, precision), g);
}

/** `g / scale`. */
function unscale(g: Tree, scale: number): Tree {
  return scale === 1 ? g : treeMap((x) => tf.div(x, scale), g);
}

/** Whether every value of every leaf is finite. */
function allFinite(g: Tree): boolean {
  return treeFlatten(g).leaves.every((x) => (x.dataSync() as Float32Array).every(Number.isFinite));
}

/** Early stopping on a validation metric. */
export interface EarlyStopping {
  /** The key of the object `validation()` returns. */
  metric: string;
  /** Whether lower or higher is better; default 'min'. */
  mode?: 'min' | 'max';
  /** Validations without improvement before stopping. */
  patience: number;
}

/** Engine configuration. */
export interface EngineConfig {
  /** Iterations: each steps every leaf problem once (parents step when their children are ready). */
  iterations: number;
  /** Run `validation()` every N iterations; default never. */
  validEvery?: number;
  /** User validation hook, returning named metrics. */
  validation?: (engine: Engine) => Record<string, number> | Promise<Record<string, number>>;
  /** Stop when the validation metric stops improving. */
  earlyStopping?: EarlyStopping;
  /** Console and JSON-lines logging. */
  logging?: LoggingOptions;
}

/** One validation: when it ran and what `validation()` returned. */
export interface Validation {
  /** The iteration after which it ran. */
  iteration: number;
  /** The metrics returned. */
  metrics: Record<string, number>;
}

/** What {@link Engine.run} returns. */
export interface RunResult {
  /** Iterations completed. */
  iterations: number;
  /** Each validation's iteration and metrics. */
  validations: Validation[];
  /** Whether early stopping ended the run. */
  stoppedEarly: boolean;
}

/** Options of the {@link Engine} constructor. */
export interface EngineOptions {
  /** The problems (unique names). */
  problems: readonly AnyProblem[];
  /** `u2l` and `l2u` edges. */
  dependencies: Dependencies;
  /** Run configuration. */
  config: EngineConfig;
}

/**
 * Runs a multilevel program (BETTY's `Engine`): leaf problems step every iteration; a problem
 * steps once all the problems whose optima its loss uses have made `unrollSteps` updates (after
 * their warm-up); its gradient is the total derivative of its loss, with hypergradients through
 * every lower problem by that problem's method, summed over all paths.
 *
 * @example
 * ```ts
 * const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } },
 *   config: { iterations: 1000 } });
 * await engine.run();
 * ```
 */
export class Engine {
  /** The validated graph. */
  readonly graph: Graph;
  private readonly problems: Map<string, Problem>;
  private readonly evaluator: Evaluator;
  private readonly ready = new Map<string, Set<string>>();
  private readonly lastLoss: Record<string, number> = {};
  private readonly config: EngineConfig;
  private logger: Logger | null = null;
  private iteration = 0;

  constructor({ problems, dependencies, config }: EngineOptions) {
    if (!Array.isArray(problems) || problems.length === 0) throw new Error('Engine: problems must be a non-empty array of Problem');
    this.problems = new Map(problems.map((p) => [p.name, p as Problem]));
    this.graph = buildGraph(problems.map((p) => p.name), dependencies ?? {});
    this.evaluator = new Evaluator(this.problems, this.graph);
    if (!(Number.isInteger(config?.iterations) && config.iterations > 0)) {
      throw new Error(`Engine: config.iterations must be a positive integer, got ${String(config?.iterations)}`);
    }
    if (config.validEvery !== undefined && !(Number.isInteger(config.validEvery) && config.validEvery > 0)) {
      throw new Error(`Engine: config.validEvery must be a positive integer, got ${String(config.validEvery)}`);
    }
    if (config.earlyStopping !== undefined) {
      const e = config.earlyStopping;
      if (config.validation === undefined || config.validEvery === undefined) throw new Error('Engine: config.earlyStopping needs config.validation and config.validEvery');
      if (!(Number.isInteger(e.patience) && e.patience > 0)) throw new Error(`Engine: config.earlyStopping.patience must be a positive integer, got ${String(e.patience)}`);
    }
    this.config = config;
    for (const n of this.graph.names) {
      this.ready.set(n, new Set());
      const p = this.problem(n);
      const o = p.config.hypergradient;
      // Checkpointed unrolling steps eagerly (storing snapshots) and sweeps back; plain unrolling defers.
      p.deferred = o.method === 'unrolled' && o.checkpoints === undefined && this.graph.parents(n).length > 0;
      p.recording = this.graph.parents(n).length > 0;
      if (p.options.parallel !== undefined) {
        const why = this.graph.lowers(n).length > 0 ? `it reads lower problems (${this.graph.lowers(n).join(', ')})`
          : p.config.precision !== 'fp32' ? `its precision is ${p.config.precision}`
            : p.config.lossScale !== null ? 'it has loss scaling'
            : !['cg', 'neumann', 'fixedPoint', 'firstOrder'].includes(o.method) ? `its hypergradient method is '${o.method}'` : null;
        if (why !== null) throw new Error(`problem '${n}' is data-parallel, but ${why}; a data-parallel problem must be a leaf, in fp32, with cg, neumann, fixedPoint or firstOrder`);
      }
    }
  }

  /** A problem by name, typed by the caller. */
  problem<P extends Problem = Problem>(name: string): P {
    return this.evaluator.problem(name) as P;
  }

  /**
   * The total gradient of `name`'s loss on its current batch with respect to its parameters:
   * the direct term plus hypergradients through every lower problem (without stepping).
   */
  hypergradient<P extends Tree = Tree>(name: string): P {
    const problem = this.problem(name);
    this.evaluator.materialize(name);
    const batch = this.evaluator.batchOf(name);
    return tidyTree(() => {
      const scale = problem.scaler?.scale ?? 1;
      const { grads } = this.totalGradient(problem, batch, scale);
      return unscale(storeGradients(grads, problem.config.precision), scale) as P;
    });
  }

  /**
   * Runs `count` training steps of one problem without letting its parents step (an inner solve),
   * e.g. to reach a lower problem's optimum before asking for a hypergradient through it.
   */
  async stepOnly(name: string, count: number): Promise<void> {
    if (!(Number.isInteger(count) && count >= 0)) throw new Error(`Engine.stepOnly: count must be an integer >= 0, got ${count}`);
    const problem = this.problem(name);
    for (let i = 0; i < count; i++) await this.step(problem, false);
  }

  /** The total gradient of `scale` times the loss (the loss returned unscaled). */
  private totalGradient(problem: Problem, batch: unknown, scale = 1): { loss: tf.Scalar; grads: Tree; metrics: Record<string, number> } {
    const { leaves, def } = treeFlatten(problem.params);
    const metrics: Record<string, number> = {};
    const { value, grads } = gradients(() => {
      const r = this.evaluator.evaluate(problem.name, new Map([[problem.name, treeUnflatten(def, leaves)]]), batch);
      for (const [k, v] of Object.entries(r.metrics)) metrics[k] = typeof v === 'number' ? v : (v.dataSync()[0] as number);
      return scale === 1 ? r.loss : tf.mul(r.loss, scale);
    }, leaves);
    const loss = scale === 1 ? value : tf.div(value, scale);
    if (scale !== 1) value.dispose();
    return { loss: loss as tf.Scalar, grads: treeUnflatten(def, grads), metrics };
  }

  /** One training step of `problem`, then the parents' steps it makes ready. */
  private async step(problem: Problem, propagate = true): Promise<void> {
    const batch = await problem.nextBatch();
    if (problem.deferred && propagate && problem.updates >= problem.config.warmupSteps) {
      if (problem.recordDeferred(batch)) await this.afterUpdate(problem);
      return;
    }
    this.evaluator.materialize(problem.name);
    let metrics: Record<string, number> = {};
    const precision = problem.config.precision;
    const scale = problem.scaler?.scale ?? 1;
    const [loss, stored] = tidyTree(() => {
      const dp = problem.options.parallel;
      if (dp !== undefined) {
        const uppers = Object.fromEntries(this.graph.uppers(problem.name).map((u) => [u, this.problem(u).params]));
        const r = dp.gradient(problem.params, uppers, batch as number);
        return [tf.scalar(r.loss), r.grads];
      }
      const r = this.totalGradient(problem, batch, scale);
      metrics = r.metrics;
      return [r.loss, storeGradients(r.grads, precision)];
    }) as [tf.Scalar, Tree];
    const lossValue = loss.dataSync()[0] as number;
    loss.dispose();
    if (precision !== 'fp32' || problem.scaler !== null) {
      // Mixed precision: a step whose loss or (scaled, 16-bit) gradients are not finite is skipped.
      const finite = Number.isFinite(lossValue) && allFinite(stored);
      if (problem.config.lossScale !== null && problem.scaler !== null) problem.scaler = lossScaleUpdate(problem.scaler, finite, problem.config.lossScale);
      if (!finite) {
        treeDispose(stored);
        this.logger?.record({ iteration: this.iteration, problem: problem.name, step: problem.updates, skipped: true, lossScale: problem.scaler?.scale ?? null });
        return;
      }
    }
    const grads = scale === 1 ? stored : tidyTree(() => unscale(stored, scale));
    if (scale !== 1) treeDispose(stored);
    if (!Number.isFinite(lossValue)) {
      treeDispose(grads);
      throw new Error(`problem '${problem.name}': loss is ${lossValue} at update ${problem.updates}; lower the learning rate or check the data`);
    }
    this.lastLoss[problem.name] = lossValue;
    const updated = problem.accumulate(grads, batch);
    treeDispose(grads);
    if (this.logger !== null && problem.updates % (this.config.logging?.every ?? 1) === 0 && updated) {
      this.logger.record({ iteration: this.iteration, problem: problem.name, step: problem.updates, loss: lossValue, ...metrics });
    }
    if (propagate && updated) await this.afterUpdate(problem);
  }

  /** After an update of `problem`: marks it ready for its parents, and steps those that are ready. */
  private async afterUpdate(problem: Problem): Promise<void> {
    if (!problem.readyForParents()) return;
    const parents = this.graph.parents(problem.name);
    for (const parentName of parents) this.ready.get(parentName)?.add(problem.name);
    for (const parentName of parents) {
      const flags = this.ready.get(parentName) as Set<string>;
      if (flags.size === this.graph.lowers(parentName).length) {
        flags.clear();
        const parent = this.problem(parentName);
        await this.step(parent);
        for (const child of this.graph.lowers(parentName)) {
          // A child another parent is still waiting on keeps its inner loop until that one steps.
          const waiting = this.graph.parents(child).some((q) => q !== parentName && this.ready.get(q)?.has(child));
          if (waiting) continue;
          this.evaluator.materialize(child);
          this.problem(child).startInnerLoop();
        }
      }
    }
  }

  /** Runs `config.iterations` iterations (with validation, early stopping and logging). */
  async run(): Promise<RunResult> {
    const { iterations, validEvery, validation, earlyStopping, logging } = this.config;
    this.logger = logging ? new Logger(logging, iterations) : null;
    const validations: RunResult['validations'] = [];
    let best = earlyStopping?.mode === 'max' ? -Infinity : Infinity;
    let stale = 0;
    for (let it = 1; it <= iterations; it++) {
      this.iteration = it;
      for (const leaf of this.graph.leaves) await this.step(this.problem(leaf));
      this.logger?.progress(it, this.lastLoss);
      if (validation !== undefined && validEvery !== undefined && it % validEvery === 0) {
        this.materialize();
        const metrics = await validation(this);
        validations.push({ iteration: it, metrics });
        this.logger?.record({ iteration: it, validation: true, ...metrics });
        if (earlyStopping !== undefined) {
          const m = metrics[earlyStopping.metric];
          if (m === undefined) throw new Error(`Engine: validation() returned no '${earlyStopping.metric}' for early stopping; it returned ${Object.keys(metrics).join(', ')}`);
          const better = earlyStopping.mode === 'max' ? m > best : m < best;
          if (better) {
            best = m;
            stale = 0;
          } else if (++stale >= earlyStopping.patience) {
            this.materialize();
            return { iterations: it, validations, stoppedEarly: true };
          }
        }
      }
    }
    this.materialize();
    return { iterations, validations, stoppedEarly: false };
  }

  /**
   * Brings every deferred problem's parameters up to date (runs its recorded steps); done before
   * validation, at the end of `run`, and before eager steps.
   */
  materialize(): void {
    for (const n of this.graph.names) this.evaluator.materialize(n);
  }

  /** Frees every problem's tensors. */
  dispose(): void {
    for (const p of this.problems.values()) p.dispose();
  }
}
