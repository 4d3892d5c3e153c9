/** A configuration: hyperparameter names to values. */
export type Config = Record<string, number | string | boolean>;

/** What an objective returns: objective values by name and the `runtime` (simulated seconds). */
export type EvalResult = Record<string, number> & RuntimeField;

/** The runtime an evaluation reports. */
export interface RuntimeField {
  /** Simulated seconds the evaluation would take. */
  runtime: number;
}

/** Where an evaluation runs: its fidelity (e.g. epochs) and a seed for its noise. */
export interface EvalContext {
  /** The fidelity asked for, or undefined for a single-fidelity evaluation. */
  fidelity?: number;
  /** A seed for the evaluation's randomness (the simulator draws one per evaluation). */
  seed: number;
}

/** A benchmark objective: `(config, {fidelity, seed}) => {[objective]: number, runtime}`, sync or async. */
export type Objective = (config: Config, context: EvalContext) => EvalResult | Promise<EvalResult>;

/** What an optimizer's `ask` returns: a configuration and, for multi-fidelity optimizers, a fidelity. */
export interface Trial {
  /** The configuration to evaluate. */
  config: Config;
  /** The fidelity to evaluate it at. */
  fidelity?: number;
  /**
   * A result the optimizer computed itself (gradient-based HPO trains inside `ask`): the simulator
   * uses it instead of calling the objective, charges its `runtime` (the measured training time)
   * and not the `ask` time, which it already contains.
   */
  result?: EvalResult;
}

/** An ask/tell optimizer (Optuna's and mfhpo-simulator's interface). */
export interface AskTellOptimizer {
  /** The next trial to evaluate (its time is charged to the simulated clock). */
  ask(): Trial | Promise<Trial>;
  /** The result of a trial, in the order results arrive. */
  tell(trial: Trial, result: EvalResult): void | Promise<void>;
}

/** One result, as it arrives. */
export interface SimulationRecord {
  /** Simulated time (seconds) at which the result arrives. */
  cumtime: number;
  /** The worker that evaluated it (0-based). */
  workerIndex: number;
  /** The configuration. */
  config: Config;
  /** The fidelity, if any. */
  fidelity?: number;
  /** The seed the evaluation used. */
  seed: number;
  /** The runtime charged (after continual-fidelity credit). */
  runtime: number;
  /** The objective values. */
  values: Record<string, number>;
}

/** A cached lower-fidelity result that continual fidelity can resume. */
export interface CachedState {
  /** The fidelity it reached. */
  fidelity: number;
  /** The runtime it took to get there (credited on resume). */
  runtime: number;
  /** Simulated time at which it arrived (it can be resumed only after). */
  arrival: number;
  /** The seed it used (a resumed evaluation keeps it). */
  seed: number;
}

/** Options every simulation mode takes. */
export interface RunOptions {
  /** The benchmark objective. */
  objective: Objective;
  /** Parallel workers (simulated), an integer >= 1. */
  nWorkers: number;
  /** Stop once this many results have arrived (been told or released), an integer >= 1. */
  nEvals: number;
  /** Stop before a result that arrives after this simulated time (seconds); default none. */
  maxTotalEvalTime?: number;
  /**
   * Charge the optimizer's time to the simulated clock (single-process: the measured `ask`, default
   * true; multi-worker: each worker's wall time between a release and its next submission, default false).
   */
  chargeSamplingTime?: boolean;
  /**
   * Continual fidelity: a configuration resumed from a lower fidelity is charged only the runtime
   * difference, when its cached result has already arrived. Set to the maximal fidelity (a result at
   * it is not cached); default off.
   */
  continualMaxFidelity?: number;
  /** Seed of the per-evaluation seeds; default 0. */
  seed?: number;
  /** Append each record to this JSON-lines file as it arrives (nothing is lost if the run dies). */
  resultsFile?: string;
}
