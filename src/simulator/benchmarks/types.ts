import type { SearchSpace } from '../../hpo/searchSpace.js';
import type { Objective } from '../types.js';

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

/** A fidelity's name and range. */
export interface FidelityRange {
  /** Its name (e.g. `epoch`). */
  name: string;
  /** The lowest fidelity. */
  min: number;
  /** The full budget. */
  max: number;
}
