/**
 * hypergrad: multilevel (bilevel and deeper) optimization with second-order-correct automatic
 * differentiation on TensorFlow.js.
 *
 * This entry holds the core: the backend, trees, differentiation (`grad`, `vjp`, `jvp`, `hvp`,
 * `mixedHvp`, `customVjp`), losses, optimizers, linear solvers, and the multilevel `Problem` /
 * `Engine` with its hypergradient methods. The rest is in subpath entries:
 * `hypergrad/hpo` (search spaces and HPO optimizers), `hypergrad/simulator` (the HPO simulator and
 * its benchmarks), `hypergrad/problems` (ready-made problems and the `ProblemSpec` the CLI runs) and
 * `hypergrad/plot` (charts as Vega-Lite specs).
 *
 * Importing this module changes nothing in tfjs. {@link initBackend} selects the backend and
 * installs hypergrad's gradient rules ({@link registerRules}); call it once before computing.
 * @example
 * ```ts
 * import { initBackend, hvp } from 'hypergrad';
 * await initBackend();
 * ```
 * @packageDocumentation
 * @module hypergrad
 */
export { initBackend, describeBackend, BACKEND_ORDER, DEFAULT_WASM_THREADS, type BackendName, type InitBackendOptions } from './backend/initBackend.js';
export { registerWebGPU, webgpuInfo, describeWebGPU, type WebGPUInfo, type WebGPUOptions } from './backend/webgpu.js';

export {
  type Tree, type TreeDef, type LeafDef, type ArrayDef, type RecordDef, type Flattened, isLeaf, treeFlatten, treeUnflatten, treeMap, treeLeaves, treeDispose, countLeaves,
  tidyTree,
} from './tree/tree.js';
export {
  treeAdd, treeSub, treeScale, treeAddScaled, treeZerosLike, treeOnesLike, treeDot, treeNorm, treeSize,
  treeToVector, treeFromVector,
} from './tree/treeMath.js';

export { grad, valueAndGrad, type ScalarFn, type ValueAndGrad } from './autodiff/grad.js';
export { vjp, jvp } from './autodiff/vjp.js';
export { hvp, mixedHvp, type HvpMode, type HvpOptions, type HvpChoice, type MixedHvpOptions } from './autodiff/hvp.js';
export { registerTangentRule, type TangentRule, type TangentArgs } from './autodiff/forward/tangentRule.js';
export { tangentKernels } from './autodiff/forward/forwardSweep.js';
export { stopGradient } from './autodiff/stopGradient.js';
export { customVjp, type CustomVjpOptions, type VjpFn } from './autodiff/customVjp.js';
export { checkDerivatives, type CheckOptions, type CheckResult } from './autodiff/checkDerivatives.js';
export { registerRule, supportedKernels, type Rule } from './autodiff/registry.js';
export { registerRules } from './autodiff/registerRules.js';

export { logSoftmax, logSumExp } from './ops/logSoftmax.js';
export {
  softmaxCrossEntropy, sparseSoftmaxCrossEntropy, sigmoidCrossEntropy, meanSquaredError,
} from './losses/losses.js';
export { type Reduction, type LossOptions } from './losses/reduce.js';
export { seededRandom, type SeededRandom, normalSamples, normalTensor, shuffleInPlace } from './util/random.js';

export { type GradientTransformation, type Schedule, type LearningRate } from './optim/types.js';
export {
  scaleByLearningRate, traceMomentum, addDecayedWeights, scaleByAdam, scaleByRms, chain, applyUpdates, type AdamState,
} from './optim/transforms.js';
export { sgd, adam, adamW, rmsprop, type SgdOptions, type AdamOptions, type RmspropOptions } from './optim/optimizers.js';
export { constantSchedule, stepSchedule, cosineSchedule, linearWarmup } from './optim/schedules.js';
export {
  solveCg, solveNeumann, solveFixedPoint, solveCgVector, solveNeumannVector, solveFixedPointVector, CG_FLOOR, STOP_TEST_EVERY,
  type MatVec, type VectorMatVec, type LinearSolver, type SolverOptions,
} from './implicit/linearSolvers.js';
export { flatLayout, flatMatVec, vdot, type FlatLayout } from './implicit/flatVector.js';
export { syncReadsCheap } from './backend/syncReads.js';
export {
  Problem, ImplicitProblem, IterativeProblem, type AnyProblem, type ProblemOptions, type ProblemOptionsBase, type TrainingStep, type StepContext, type StepResult, type Module, type StepOutput, type ProblemRole,
} from './multilevel/problem.js';
export { type ProblemConfig, type ResolvedProblemConfig } from './multilevel/config.js';
export { type DataSource } from './multilevel/batches.js';
export { type InnerLoopRecord, type RecordedStep } from './multilevel/innerLoop.js';
export { type GradientOracle, type OracleGradient, type ParallelBackend, type ProblemObjective, type Evaluation } from './multilevel/oracle.js';
export {
  type EngineEvent, type StepEvent, type SkipEvent, type ValidationEvent, type IterationEvent, type EventOf, type Listener, type Typed,
} from './multilevel/events.js';
export { type Precision, type HalfPrecision, PRECISIONS, roundArray } from './precision/formats.js';
export { roundTo, roundTree } from './precision/round.js';
export { type MixedPrecisionPolicy } from './precision/mixedPrecision.js';
export { type LossScaleOptions, type LossScaleState } from './precision/lossScale.js';
export { type Snapshot, type SnapshotLeaf } from './precision/snapshot.js';
export { DataParallel, type DataParallelOptions, type ReplicatedGradient } from './parallel/dataParallel.js';
export { type ReplicaProgram, type ReplicaFactory, type Shard } from './parallel/types.js';
export { programTrainingStep } from './parallel/programTrainingStep.js';
export { Engine, type EngineOptions, type EngineConfig, type RunResult, type EarlyStopping, type Validation, type CheckpointSchedule } from './multilevel/engine.js';
export { type EngineCheckpoint, type ProblemCheckpoint, type SavedTensor, type InnerLoopStart } from './multilevel/checkpoint.js';
export { checkpointFile, saveCheckpointFile, loadCheckpointFile, writeFileAtomic } from './multilevel/checkpointFile.js';
export { type Dependencies, type Graph } from './multilevel/graph.js';
export { type UnrolledMemoryPlan, type TapeEstimate, DEFAULT_UNROLLED_MEMORY_LIMIT, TAPE_BUFFERS_PER_STEP, unrolledTapeEstimate } from './multilevel/memoryPlan.js';
export { type LoggingOptions } from './multilevel/logger.js';
export {
  type HypergradientOptions, type HypergradientMethod, type HypergradientContext, type InnerLoopView, type OptimizerView, type MethodName, type MethodEntry,
  type MethodOverrides, type InnerLoopNeeds, type OptionsOf, type WithMethod,
} from './multilevel/hypergradients/types.js';
export { type WithRandomState } from './multilevel/hypergradients/types.js';
export { HYPERGRADIENTS, HYPERGRADIENT_METHODS, REPLICA_SAFE_METHODS, withDefaults, buildMethod, innerLoopNeeds, validateHypergradient } from './multilevel/hypergradients/index.js';
export { type UnrolledOptions, replayInnerLoop, reverseInnerLoop } from './multilevel/hypergradients/unrolled.js';
export { type NeumannOptions } from './multilevel/hypergradients/neumann.js';
export { type CgOptions } from './multilevel/hypergradients/cg.js';
export { type FixedPointOptions } from './multilevel/hypergradients/fixedPoint.js';
export { type FiniteDifferenceOptions } from './multilevel/hypergradients/finiteDifference.js';
export { type SamaOptions } from './multilevel/hypergradients/sama.js';
export { type EsOptions } from './multilevel/hypergradients/es.js';
export { type FirstOrderOptions } from './multilevel/hypergradients/firstOrder.js';
export { type CustomOptions } from './multilevel/hypergradients/custom.js';
