import type { Config, Objective } from '../hpo/types.js';

/**
 * Who produced a record: enough to tell runs apart when their files meet (two runs into one
 * folder, a resumed run checked against its records). Every field is copied into each record.
 */
export interface RunIdentity {
  /** A unique id of the run (e.g. a random UUID, kept when the run is resumed). */
  id: string;
  /** The run's seed (the simulator's `seed`). */
  seed: number;
  /** The optimizer's name, e.g. `asha`. */
  optimizer?: string;
  /** The benchmark's name, e.g. `mfhartmann6`. */
  benchmark?: string;
  /** The command line that started the run, if any. */
  command?: string;
}

/**
 * One result, as it arrives: a line of a results file (JSON lines). The fields after `fidelity`
 * are what an exact resume needs (see `simulate`'s `resumeFrom`); older files without them can
 * still be read and plotted.
 */
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
  /** The trial's number: its position in the order of asks (0-based). */
  trial?: number;
  /** Simulated seconds charged for the optimizer's ask before the evaluation (absent: 0). */
  askTime?: number;
  /**
   * The runtime the objective reported, when continual fidelity credited part of it (so
   * `runtime = max(0, fullRuntime - credit)`); absent when nothing was credited.
   */
  fullRuntime?: number;
  /** The run that produced it. */
  run?: RunIdentity;
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

/**
 * When a run stops: after `nEvals` results, or before the first result that would arrive after
 * `maxTotalEvalTime` simulated seconds, whichever comes first. At least one must be given.
 */
export interface StoppingRule {
  /** Stop once this many results have arrived, an integer >= 1; default unbounded when `maxTotalEvalTime` is given. */
  nEvals?: number;
  /** Stop before a result that arrives after this simulated time (seconds); default none. */
  maxTotalEvalTime?: number;
}

/** Options every simulation mode takes. */
export interface RunOptions extends StoppingRule {
  /** The benchmark objective. */
  objective: Objective;
  /** Parallel workers (simulated), an integer in [1, {@link MAX_WORKERS}]. */
  nWorkers: number;
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
  /** Seed of the per-evaluation seeds, an integer in [0, 2^32); default 0. */
  seed?: number;
  /** Append each record to this JSON-lines file as it arrives (nothing is lost if the run dies). */
  resultsFile?: string;
  /** Stamp every record with this identity (see {@link RunIdentity}). */
  run?: RunIdentity;
}

/**
 * The most simulated workers a run accepts. Each worker asks once before the first result can
 * arrive, so a run costs at least this many asks; beyond it a typo (`--workers 1e9`) would exhaust
 * memory instead of failing.
 */
export const MAX_WORKERS = 65_536;
