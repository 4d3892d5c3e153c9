import type { EngineCheckpoint, HypergradientOptions } from '../src/index.js';

/** One entry of a run's validation history. */
export interface HistoryEntry {
  /** The outer step after which it was recorded (1-based). */
  step: number;
  /** Wall seconds since the start of the run (a resumed run continues the count). */
  seconds: number;
  /** Validation loss then. */
  validationLoss: number;
}

/**
 * Checkpoints of a run (what `hypergrad run|compare --resume` continues from): every `every`
 * outer steps, and after the last, the engine's checkpoint with the run's progress is saved.
 */
export interface RunCheckpointing {
  /** Outer steps between checkpoints. */
  every: number;
  /** Stores one. */
  save: (checkpoint: EngineCheckpoint) => void | Promise<void>;
  /** A checkpoint of this run (same problem, method and options) to continue from. */
  from?: EngineCheckpoint;
}

/** Options every ready-made problem takes. */
export interface ProblemRunOptions {
  /** Hypergradient method through the lower problem. */
  method?: HypergradientOptions;
  /** Outer (hyperparameter) steps. */
  outerSteps?: number;
  /** Inner steps per outer step. */
  innerSteps?: number;
  /** Seed of data and initialisation. */
  seed?: number;
  /** Called after each outer step (e.g. to draw a progress bar), with the latest validation loss recorded. */
  onOuterStep?: (step: number, total: number, validationLoss: number | undefined) => void;
  /** Called with each history entry as it is recorded (e.g. to append it to a file at once). */
  onHistory?: (entry: HistoryEntry) => void;
  /** Save checkpoints of the run, or continue one; see {@link RunCheckpointing}. */
  checkpoint?: RunCheckpointing;
  /**
   * Learning rates by problem name (`{outer: 0.1}`), overriding the problem's defaults
   * ({@link ProblemSpec.learningRates}); `hypergrad run|compare --lr outer=0.1`.
   */
  learningRates?: Readonly<Record<string, number>>;
}

/** What a ready-made problem reports, in a shape the CLI can tabulate. */
export interface ProblemReport<S> {
  /** Validation loss at the end. */
  validationLoss: number;
  /** The held-out metric (e.g. test accuracy), tuned and untuned. */
  test: {
    /** Column title, e.g. `test acc`. */
    name: string;
    /** With the tuned hyperparameters. */
    value: number;
    /** With the initial (untuned) hyperparameters. */
    baseline: number;
    /** Whether larger is better (shown as a percentage when at most 1). */
    higherIsBetter: boolean;
  };
  /** Problem-specific numbers (e.g. precision and recall). */
  extras: Record<string, number>;
  /** Validation loss after each outer step, with wall seconds since the start. */
  history: HistoryEntry[];
  /** Seconds per outer step (inner steps included). */
  secondsPerOuterStep: number;
  /** Peak `tf.memory().numBytes` during the run. */
  peakBytes: number;
  /** The final state, for comparing hypergradient methods at one point. */
  state: S;
}

/** A ready-made problem: how to run it and how to take a hypergradient at a state. */
export interface ProblemSpec<S = unknown> {
  /** CLI name. */
  name: string;
  /** One line for `hypergrad list`. */
  description: string;
  /** Defaults of `run` (outer, inner steps), of `compare` (smaller), and the Neumann/fixed-point step. */
  defaults: {
    /** `[outer steps, inner steps]` of `hypergrad run`. */
    run: [number, number];
    /** `[outer steps, inner steps]` of `hypergrad compare`. */
    compare: [number, number];
    /** The step of Neumann and fixed-point iterations (below 2 / lambda_max of the inner Hessian). */
    alpha: number;
    /** CG's damping (`(H + damping I) x = v`) where the inner Hessian can be indefinite; default none. */
    damping?: number;
  };
  /**
   * The method whose hypergradient `compare` treats as exact (a long CG for problems solved to
   * their optimum; `unrolled` where the hyperparameters act through the training steps).
   */
  reference: HypergradientOptions;
  /** The learning rate of each problem `--lr` can set, by problem name (the defaults). */
  learningRates?: Readonly<Record<string, number>>;
  /** The method `hypergrad run` uses without `--method`; default cg. */
  runMethod?: string;
  /**
   * The methods `hypergrad compare` runs without `--methods`: those that apply to the problem
   * (e.g. `es` only where the hyperparameters are few); default the supported ones.
   */
  compareMethods?: readonly string[];
  /** The methods the problem supports (names in `HYPERGRADIENT_METHODS`); default all. */
  methods?: readonly string[];
  /** Trains with `method`; resolves with the report. Needs an initialised backend. */
  run(options: ProblemRunOptions): Promise<ProblemReport<S>>;
  /** The hypergradient (flattened) at `state` by `method`, with the same data as `run`. */
  hypergradientAt(state: S, method: HypergradientOptions, options: ProblemRunOptions): Promise<number[]>;
}
