/**
 * The vocabulary of hyperparameter optimization, shared by the optimizers (`src/hpo/`), the
 * simulator (`src/simulator/`) and the storage (`src/storage/`): configurations, search spaces,
 * objectives, trials and the ask/tell optimizer contract (Optuna's and mfhpo-simulator's, Watanabe
 * 2023). This module holds types only and imports nothing, so every layer can depend on it.
 * @module
 */

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

/**
 * What an optimizer's `ask` returns: a configuration and, for multi-fidelity optimizers, a
 * fidelity. Optimizers may return a subtype carrying their own bookkeeping (a rung, a bracket):
 * every driver passes the very object `ask` returned back to `tell`.
 */
export interface Trial {
  /** The configuration to evaluate. */
  config: Config;
  /** The fidelity to evaluate it at. */
  fidelity?: number;
  /**
   * A self-evaluating trial: the optimizer evaluates it itself (gradient-based HPO trains a segment
   * of its own run). Drivers call this instead of the benchmark's objective, charge the `runtime` it
   * reports (the measured work, which includes the optimizer's own time, so the `ask` time is not
   * charged again) and tell its result as for any trial. Its state lives in the evaluation, so a
   * replay runs it again (see `replayOptimizer`).
   */
  evaluate?: (context: EvalContext) => EvalResult | Promise<EvalResult>;
}

/**
 * An ask/tell optimizer (Optuna's and mfhpo-simulator's interface).
 *
 * **Determinism contract** (what makes every optimizer resumable and shareable, see
 * `replayOptimizer`): a fresh optimizer built from the same options and driven by the same
 * sequence of calls (the same asks and tells, with the same results, interleaved the same way)
 * returns the same trials. So an optimizer's state never has to be saved: it is rebuilt by
 * replaying its history. Randomness comes from seeded generators only, never from the wall clock.
 */
export interface AskTellOptimizer {
  /** The next trial to evaluate (its time is charged to the simulated clock). */
  ask(): Trial | Promise<Trial>;
  /** The result of a trial, in the order results arrive. */
  tell(trial: Trial, result: EvalResult): void | Promise<void>;
  /** Frees what the optimizer holds (tensors, data); it must not be used after. Optional. */
  dispose?(): void;
}

/** A float hyperparameter in [low, high], on a linear or log scale. */
export interface FloatParam {
  /** Discriminant. */
  type: 'float';
  /** Lower bound. */
  low: number;
  /** Upper bound. */
  high: number;
  /** Sample uniformly in log space (needs low > 0). */
  log?: boolean;
}

/** An integer hyperparameter in [low, high], on a linear or log scale. */
export interface IntParam {
  /** Discriminant. */
  type: 'int';
  /** Lower bound (inclusive). */
  low: number;
  /** Upper bound (inclusive). */
  high: number;
  /** Sample uniformly in log space (needs low >= 1). */
  log?: boolean;
}

/** A categorical hyperparameter. */
export interface CategoricalParam {
  /** Discriminant. */
  type: 'categorical';
  /** The choices (at least one). */
  choices: readonly (string | number | boolean)[];
}

/** One hyperparameter's domain. */
export type Param = FloatParam | IntParam | CategoricalParam;

/** A search space: hyperparameter names to domains. */
export type SearchSpace = Record<string, Param>;

/** A fidelity's name and range. */
export interface FidelityRange {
  /** Its name (e.g. `epoch`). */
  name: string;
  /** The lowest fidelity. */
  min: number;
  /** The full budget. */
  max: number;
}

/** A benchmark: its objective, search space and fidelity range. */
export interface Benchmark {
  /** A short name. */
  name: string;
  /** The objective (reports `runtime` in simulated seconds). */
  objective: Objective;
  /** The hyperparameters. */
  searchSpace: SearchSpace;
  /** The fidelity's range (e.g. epochs); `max` is the full budget. */
  fidelity: FidelityRange;
  /** The objective values it reports; the first is the one to minimise. */
  objectives: string[];
}
