/**
 * `hypergrad/simulator`: the HPO simulator (after mfhpo-simulator, Watanabe 2023). It runs an
 * ask/tell optimizer as if `nWorkers` workers evaluated in parallel, on a simulated clock, in
 * exact arrival order; with benchmarks (MFBranin, MFHartmann, the LCBench surrogate, a real MNIST
 * MLP) and multi-worker modes (async workers in one process, processes sharing a folder).
 * @example
 * ```ts
 * import { simulate, mfHartmann } from 'hypergrad/simulator';
 * import { randomSearch } from 'hypergrad/hpo';
 * const bench = mfHartmann(6);
 * const { records } = await simulate({ objective: bench.objective, nWorkers: 4, nEvals: 200,
 *   optimizer: randomSearch({ searchSpace: bench.searchSpace, fidelity: bench.fidelity.max }) });
 * ```
 * @packageDocumentation
 * @module hypergrad/simulator
 */
export {
  type Config, type EvalResult, type RuntimeField, type EvalContext, type CachedState, type RunOptions, type Objective, type Trial, type AskTellOptimizer, type SimulationRecord,
} from '../simulator/types.js';
export { simulate, type SimulateOptions, type SimulationResult } from '../simulator/simulate.js';
export { performanceOverTime, readRecords, type PerformanceCurve } from '../simulator/performance.js';
export { type Benchmark, type FidelityRange } from '../simulator/benchmarks/types.js';
export { mfBranin, mfHartmann, type SyntheticOptions } from '../simulator/benchmarks/synthetic.js';
export { lcbench, LCBENCH_TASKS } from '../simulator/benchmarks/lcbench.js';
export { mnistMlp, type MnistMlpOptions } from '../simulator/benchmarks/mnistMlp.js';
export { SimulationFinished, type SharedState } from '../simulator/multiWorker/core.js';
export { asyncSimulator, type AsyncSimulation, type MultiWorkerOptions, type SimulatedWorker } from '../simulator/multiWorker/asyncSimulator.js';
export { createFileSimulator, connectFileSimulator, fileSimulatorRecords, type FileWorkerOptions } from '../simulator/multiWorker/fileSimulator.js';
