/**
 * `hypergrad/simulator`: runs HPO optimizers on simulated parallel workers (mfhpo-simulator,
 * Watanabe 2023): the single-process driver, the multi-worker modes, results files, resume,
 * benchmarks and comparisons.
 * @module
 */
export type { RunOptions, StoppingRule, SimulationRecord, RunIdentity, CachedState } from './types.js';
export { MAX_WORKERS } from './types.js';
export { simulate, type SimulateOptions, type SimulationResult } from './simulate.js';
export { checkWorkers, SimulationFinished } from './simulationState.js';
export {
  readRecords, checkRecord, checkOneRun, createRecordsFile, continueRecordsFile, newRunIdentity, type RecordsFile, type RecordsFileOptions, type ContinuedRecords,
} from './records.js';
export { performanceOverTime, type PerformanceCurve } from './performance.js';
export { incumbentAt, incumbentBand, compareOptimizers, finalIncumbent, type IncumbentBand, type CompareOptions } from './compare.js';
export { mfBranin, mfHartmann, type SyntheticOptions } from './benchmarks/synthetic.js';
export { lcbench, lcbenchBatch, LCBENCH_TASKS } from './benchmarks/lcbench.js';
export { mnistMlp, trainMnistMlp, type MnistMlpOptions, type MlpHyperparameters, type MlpTrainingResult } from './benchmarks/mnistMlp.js';
export { asyncSimulator, type AsyncSimulation, type MultiWorkerOptions, type SimulatedWorker, type AsyncSimulatedWorker } from './multiWorker/asyncSimulator.js';
export { createFileSimulator, connectFileSimulator, fileSimulatorRecords, type FileWorkerOptions, type FileSimulatedWorker } from './multiWorker/fileSimulator.js';
export { type Mlp, type MlpValidation, mlpLogits, initMlp, mlpValidation, type LrWdProgram, type DigitBatch, lrWdProgram, randomBatches } from '../models/index.js';
