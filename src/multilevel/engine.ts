import type { Tree } from '../tree/tree.js';
import { checkFunction, checkInteger, checkPositiveInteger } from '../util/validate.js';
import { syncReadsCheap } from '../backend/syncReads.js';
import { type EngineCheckpoint, notAtBoundary, restoreProblem, saveProblem } from './checkpoint.js';
import { type SkipTally, checkSkips } from './diagnose.js';
import { EngineEvents, type EngineEvent, type Listener } from './events.js';
import { type Dependencies, type Graph, buildGraph } from './graph.js';
import { type LoggingOptions, Logger } from './logger.js';
import type { AnyProblem, Problem } from './problem.js';
import { DEFAULT_UNROLLED_MEMORY_LIMIT, type UnrolledMemoryPlan } from './memoryPlan.js';
import { type Program, type ProblemNode, buildProgram } from './program.js';
import { type StepReport, catchUp, totalGradient, trainStep } from './trainStep.js';
import { DEVICE_READ_EVERY, UnreadLosses } from './unreadLosses.js';

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
  /** Console and JSON-lines logging (a logger subscribed to the events). */
  logging?: LoggingOptions;
  /**
   * Problems that do not step in this engine: their parameters stay as they are (still read by
   * others as constants, and `hypergradient` still works for them), and their lower problems do
   * not wait for them (a lower problem whose parents are all frozen trains on, without inner-loop
   * restarts or records). The way to hold hyperparameters fixed while the rest trains.
   */
  frozen?: readonly string[];
  /**
   * The estimated tape memory (bytes) above which a problem differentiated by plain `unrolled`
   * (no checkpoints) runs with fp32 checkpoints instead: the same hypergradient, from host
   * snapshots, one step's tape at a time. Default 1 GiB ({@link DEFAULT_UNROLLED_MEMORY_LIMIT});
   * `Infinity` never switches. What was estimated and decided is in {@link Engine.memoryPlan}.
   */
  unrolledMemoryLimit?: number;
  /**
   * Save a checkpoint every `every` iterations (counted over all `run()` calls) with `save`, e.g.
   * `checkpointFile('run/checkpoint.json', 100)`; the checkpoint must fall where no
   * problem is inside an inner loop (a multiple of the outer step). Resume with
   * {@link Engine.restore}.
   */
  checkpoint?: CheckpointSchedule;
  /**
   * How many updates of lower problems may keep their loss and finiteness flags on the device
   * before the engine reads them (one asynchronous read for all).
   * Default: on GPU backends 256 (each read drains the pipeline); where
   * tensors live in host memory (cpu, wasm, tfjs-node) each update's numbers are read as it is
   * made (a synchronous read there waits for nothing, and tensors held longer cost more), settled
   * at the same points. Giving it selects the device queue on any backend. A non-finite update
   * fails the run when read, naming the update, whatever this is; 1 reads every update at once.
   */
  readEvery?: number;
}

/** When and where an engine saves checkpoints (see {@link EngineConfig.checkpoint}). */
export interface CheckpointSchedule {
  /** Iterations between checkpoints. */
  every: number;
  /** Stores one (awaited before the run goes on). */
  save: (checkpoint: EngineCheckpoint) => void | Promise<void>;
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
 * every lower problem by that problem's method, summed over all paths. The engine only schedules;
 * the updates are the problems' pure inner steps, and what happens is reported as events
 * ({@link EngineEvent}) that the logger and progress bars subscribe to.
 *
 * @example
 * ```ts
 * const engine = new Engine({ problems: [outer, inner], dependencies: { u2l: { outer: ['inner'] }, l2u: { inner: ['outer'] } },
 *   config: { iterations: 1000 } });
 * const off = engine.on('step', (e) => console.log(e.problem, e.step, e.loss));
 * await engine.run();
 * off();
 * ```
 */
export class Engine {
  /** The validated graph. */
  readonly graph: Graph;
  private readonly program: Program;
  private readonly events = new EngineEvents();
  private readonly frozen: ReadonlySet<string>;
  private readonly ready = new Map<ProblemNode, Set<ProblemNode>>();
  private readonly lastLoss: Record<string, number> = {};
  private readonly config: EngineConfig;
  private iteration = 0;
  private completed = 0;
  private readonly draws: [string, number][] = [];
  private readonly tallies = new Map<ProblemNode, SkipTally>();
  private readonly unread: UnreadLosses;

  constructor({ problems, dependencies, config }: EngineOptions) {
    if (!Array.isArray(problems) || problems.length === 0) throw new Error('Engine: problems must be a non-empty array of Problem');
    const byName = new Map(problems.map((p) => [p.name, p as Problem]));
    this.graph = buildGraph(problems.map((p) => p.name), dependencies ?? {});
    checkPositiveInteger('Engine', 'config.iterations', config?.iterations);
    if (config.validEvery !== undefined) checkPositiveInteger('Engine', 'config.validEvery', config.validEvery);
    if (config.checkpoint !== undefined) {
      checkPositiveInteger('Engine', 'config.checkpoint.every', config.checkpoint.every);
      checkFunction('Engine', 'config.checkpoint.save', config.checkpoint.save, 'a function (checkpoint) => void');
    }
    if (config.earlyStopping !== undefined) {
      if (config.validation === undefined || config.validEvery === undefined) throw new Error('Engine: config.earlyStopping needs config.validation and config.validEvery');
      checkPositiveInteger('Engine', 'config.earlyStopping.patience', config.earlyStopping.patience);
    }
    for (const f of config.frozen ?? []) {
      if (!byName.has(f)) throw new Error(`Engine: config.frozen names unknown problem '${f}'; problems: ${this.graph.names.join(', ')}`);
    }
    if (config.readEvery !== undefined) checkPositiveInteger('Engine', 'config.readEvery', config.readEvery);
    this.unread = new UnreadLosses(config.readEvery ?? DEVICE_READ_EVERY, config.readEvery === undefined && syncReadsCheap());
    this.config = config;
    this.frozen = new Set(config.frozen ?? []);
    const limit = config.unrolledMemoryLimit ?? DEFAULT_UNROLLED_MEMORY_LIMIT;
    if (!(limit > 0)) throw new Error(`Engine: config.unrolledMemoryLimit must be a positive number of bytes (or Infinity), got ${String(config.unrolledMemoryLimit)}`);
    this.program = buildProgram(byName, this.graph, this.frozen, limit);
    for (const node of this.program.nodes.values()) {
      this.ready.set(node, new Set());
      node.problem.stream.onDraw = () => this.logDraw(node.name);
    }
  }

  /**
   * The memory estimate of every problem differentiated by plain `unrolled`, made before any step:
   * the tape bytes through its inner loop, and whether they exceeded
   * `config.unrolledMemoryLimit` so that it runs checkpointed.
   */
  get memoryPlan(): readonly UnrolledMemoryPlan[] {
    return this.program.memory;
  }

  /**
   * Subscribes `listener` to the events of `type` ({@link EngineEvent}); returns the function
   * that unsubscribes. A `step` listener makes the engine read the training steps' metrics.
   */
  on<T extends EngineEvent['type']>(type: T, listener: Listener<T>): () => void {
    return this.events.on(type, listener);
  }

  /** A problem by name, typed by the caller. */
  problem<P extends Problem = Problem>(name: string): P {
    return this.node(name).problem as P;
  }

  private node(name: string): ProblemNode {
    const n = this.program.nodes.get(name);
    if (n === undefined) throw new Error(`Engine: no problem named '${name}'; problems: ${this.graph.names.join(', ')}`);
    return n;
  }

  /**
   * The total gradient of `name`'s loss on its current batch with respect to its parameters: the
   * direct term plus hypergradients through every lower problem (without stepping). It needs a
   * batch for `name` and for every problem below it: their last training batches, or ones given
   * with `setBatch` (an error names the problem that has none).
   */
  hypergradient<P extends Tree = Tree>(name: string): P {
    return totalGradient(this.node(name)) as P;
  }

  /**
   * Runs `count` training steps of one problem without letting its parents step (an inner solve),
   * e.g. to reach a lower problem's optimum before asking for a hypergradient through it.
   */
  async stepOnly(name: string, count: number): Promise<void> {
    checkInteger('Engine.stepOnly', 'count', count, { min: 0 });
    const node = this.node(name);
    this.tallies.clear();
    try {
      for (let i = 0; i < count; i++) await this.step(node, false);
      await this.unread.read();
    } finally {
      this.unread.dispose();
    }
    this.checkSkips();
  }

  /** Counts an attempted update of `node` (skipped or not) in this run's tally. */
  private tally(node: ProblemNode, skipped: StepReport & { kind: 'skip' } | null): void {
    let t = this.tallies.get(node);
    if (t === undefined) this.tallies.set(node, (t = { attempted: 0, skipped: 0, cause: null }));
    t.attempted++;
    if (skipped !== null) {
      t.skipped++;
      t.cause = skipped.cause;
    }
  }

  /** Throws when a problem skipped more than its `maxSkippedShare` of this run's updates. */
  private checkSkips(): void {
    for (const [node, t] of this.tallies) checkSkips(node, t);
  }

  /**
   * One training step of `node`, then the parents' steps it makes ready. Its loss is read later,
   * with others ({@link UnreadLosses}); its events keep their order in the same queue.
   */
  private async step(node: ProblemNode, propagate = true): Promise<void> {
    const iteration = this.iteration;
    const report = await trainStep(node, propagate && node.problem.deferred, this.events.has('step'), {
      unread: this.unread,
      updated: (step, loss, metrics) => {
        this.lastLoss[node.name] = loss;
        this.events.emit({ type: 'step', iteration, problem: node.name, step, loss, metrics });
      },
    });
    if (report.kind === 'pending') return;
    if (report.kind === 'skip' || report.kind === 'update') this.tally(node, report.kind === 'skip' ? report : null);
    if (report.kind === 'skip') {
      const { step, lossScale } = report;
      this.later(() => this.events.emit({ type: 'skip', iteration, problem: node.name, step, lossScale }));
      return;
    }
    if (propagate) await this.afterUpdate(node);
  }

  /** Runs `fn` once the values kept before it are read (an event keeping its place in order). */
  private later(fn: () => void): void {
    this.unread.push({ values: null, settle: fn });
  }

  /** Whether `node`'s update count lets its parents step: past warm-up, every `unrollSteps`. */
  private readyForParents(node: ProblemNode): boolean {
    const { updates, config } = node.problem;
    const k = updates - config.warmupSteps;
    return k > 0 && k % config.unrollSteps === 0;
  }

  /** After an update of `node`: marks it ready for its parents, and steps those that are ready. */
  private async afterUpdate(node: ProblemNode): Promise<void> {
    if (!this.readyForParents(node)) return;
    for (const parent of node.parents) this.ready.get(parent)?.add(node);
    for (const parent of node.parents) {
      const flags = this.ready.get(parent) as Set<ProblemNode>;
      if (flags.size !== parent.lowers.length) continue;
      flags.clear();
      await this.step(parent);
      for (const child of parent.lowers) {
        // A child another parent is still waiting on keeps its inner loop until that one steps.
        if (child.parents.some((q) => q !== parent && this.ready.get(q)?.has(child))) continue;
        catchUp(child);
        child.problem.startInnerLoop();
      }
    }
  }

  /** Runs `config.iterations` iterations (with validation, early stopping and logging). */
  async run(): Promise<RunResult> {
    const { iterations, validEvery, validation, earlyStopping, logging } = this.config;
    const detach = logging ? new Logger(logging).attach(this.events) : null;
    this.tallies.clear();
    try {
      const validations: RunResult['validations'] = [];
      let best = earlyStopping?.mode === 'max' ? -Infinity : Infinity;
      let stale = 0;
      const leaves = this.program.leaves.filter((l) => !this.frozen.has(l.name));
      for (let it = 1; it <= iterations; it++) {
        this.iteration = it;
        for (const leaf of leaves) await this.step(leaf);
        this.completed++;
        const schedule = this.config.checkpoint;
        if (schedule !== undefined && this.completed % schedule.every === 0) {
          await this.unread.read();
          await schedule.save(this.checkpoint());
        }
        if (this.events.has('iteration')) this.later(() => this.events.emit({ type: 'iteration', iteration: it, total: iterations, losses: this.lastLoss }));
        if (validation === undefined || validEvery === undefined || it % validEvery !== 0) continue;
        await this.unread.read();
        this.materialize();
        const metrics = await validation(this);
        validations.push({ iteration: it, metrics });
        this.events.emit({ type: 'validation', iteration: it, metrics });
        if (earlyStopping === undefined) continue;
        const m = metrics[earlyStopping.metric];
        if (m === undefined) throw new Error(`Engine: validation() returned no '${earlyStopping.metric}' for early stopping; it returned ${Object.keys(metrics).join(', ')}`);
        if (earlyStopping.mode === 'max' ? m > best : m < best) {
          best = m;
          stale = 0;
        } else if (++stale >= earlyStopping.patience) {
          await this.unread.read();
          this.materialize();
          this.checkSkips();
          return { iterations: it, validations, stoppedEarly: true };
        }
      }
      await this.unread.read();
      this.materialize();
      this.checkSkips();
      return { iterations, validations, stoppedEarly: false };
    } finally {
      // Read above on every normal exit; on an error, what is left unread is dropped.
      this.unread.dispose();
      detach?.();
    }
  }

  /**
   * Brings every deferred problem's parameters up to date (runs its recorded steps); done before
   * validation, at the end of `run`, and before eager steps.
   */
  materialize(): void {
    for (const node of this.program.nodes.values()) catchUp(node);
  }

  /** Appends a draw of `name` to the run-length encoded draw order. */
  private logDraw(name: string): void {
    const last = this.draws[this.draws.length - 1];
    if (last !== undefined && last[0] === name) last[1]++;
    else this.draws.push([name, 1]);
  }

  /** Iterations completed over all `run()` calls (restored by {@link Engine.restore}). */
  get iterationsDone(): number {
    return this.completed;
  }

  /**
   * The engine's state now, as JSON ({@link EngineCheckpoint}), with the caller's `user` data. It
   * must be taken between iterations where no problem is inside an inner loop or an update (an
   * error names the problem otherwise): at the end of a `run()` of whole outer steps, or at a
   * multiple of the outer step.
   */
  checkpoint(user?: unknown): EngineCheckpoint {
    for (const node of this.program.nodes.values()) {
      const why = notAtBoundary(node);
      if (why !== null) throw new Error(`Engine.checkpoint: after iteration ${this.completed}, ${why}`);
    }
    const problems = Object.fromEntries([...this.program.nodes.values()].map((n) => [n.name, saveProblem(n)]));
    const ready = Object.fromEntries([...this.ready].map(([parent, set]) => [parent.name, [...set].map((c) => c.name)]));
    return {
      format: 'hypergrad-engine-checkpoint', version: 1, iterations: this.completed, problems, ready, lastLoss: { ...this.lastLoss },
      draws: this.draws.map(([n, c]) => [n, c]),
      ...(user === undefined ? {} : { user }),
    };
  }

  /**
   * Continues from a checkpoint of the same program (its problems built as before, freshly): each
   * problem's state is restored and its data drawn up to where it was, so that the following
   * iterations equal those of the run that saved it. Errors name what does not match.
   */
  async restore(checkpoint: EngineCheckpoint): Promise<void> {
    if (checkpoint?.format !== 'hypergrad-engine-checkpoint' || checkpoint.version !== 1) {
      throw new Error(`Engine.restore: not a version 1 hypergrad engine checkpoint (format ${String(checkpoint?.format)}, version ${String(checkpoint?.version)})`);
    }
    const names = Object.keys(checkpoint.problems).sort();
    const mine = [...this.graph.names].sort();
    if (names.join() !== mine.join()) throw new Error(`Engine.restore: the checkpoint holds problems ${names.join(', ')}; this engine has ${mine.join(', ')}`);
    // Draw again in the logged order (then each stream tops up to its own count and frees them).
    for (const [name, count] of checkpoint.draws ?? []) {
      const stream = this.node(name).problem.stream;
      for (let i = 0; i < count; i++) {
        await stream.next();
        stream.release([]);
      }
    }
    for (const node of this.program.nodes.values()) await restoreProblem(node, checkpoint.problems[node.name] as EngineCheckpoint['problems'][string]);
    this.draws.splice(0, this.draws.length, ...(checkpoint.draws ?? []).map(([n, c]): [string, number] => [n, c]));
    for (const [parent, set] of this.ready) {
      set.clear();
      for (const c of checkpoint.ready[parent.name] ?? []) set.add(this.node(c));
    }
    for (const k of Object.keys(this.lastLoss)) delete this.lastLoss[k];
    Object.assign(this.lastLoss, checkpoint.lastLoss);
    this.completed = checkpoint.iterations;
  }

  /** Frees every problem's tensors. */
  dispose(): void {
    this.unread.dispose();
    for (const node of this.program.nodes.values()) node.problem.dispose();
  }
}
