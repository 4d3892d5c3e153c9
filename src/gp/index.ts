/**
 * `hypergrad/gp`: Gaussian processes in float64 (exact regression, RBF and Matern kernels, the marginal likelihood
 * and its gradient), a deep kernel whose tfjs feature extractor is fitted jointly with the kernel
 * through hypergrad's autodiff, and encoders of network checkpoints for deep kernels.
 * @module
 */
export { cholesky, solveLower, solveUpper, choleskySolve, choleskyInverse, logDeterminant, type CholeskyFactor, type CholeskyOptions } from './cholesky.js';
export { GpNumericalError } from './numericalError.js';
export { type KernelSpec, type KernelParams, type KernelGradients, kernelMatrix, kernelBackward, kernelProfile, checkKernelSpec } from './kernels.js';
export { type GpHyperparameters, fromTheta, toTheta, thetaLength } from './hyperparameters.js';
export { negativeLogMarginalLikelihood, type MarginalLikelihood, type MarginalLikelihoodOptions } from './marginalLikelihood.js';
export { gpPosterior, type GpPosterior, type GpPrediction } from './posterior.js';
export { gpNegativeLogLikelihood } from './marginalLikelihoodOp.js';
export { DeepKernelGp, type DeepKernelGpOptions, type FeatureExtractor, type FitOptions, type FitReport } from './deepKernelGp.js';
export { mlpExtractor } from './extractors/mlpExtractor.js';
export { type Dense, type Rows, dense, initDense, initWeights, rowsTensor } from './extractors/dense.js';
export { type DenseWeights, type MlpWeights, type WeightGraph, type GraphBatch, NODE_FEATURES, weightGraph, batchGraphs, checkMlpWeights } from './encoders/weightGraph.js';
export { type WeightEncoder, type WeightEncoderOptions, weightEncoder } from './encoders/weightEncoder.js';
export { graphEncoder, type GraphEncoderOptions } from './encoders/graphEncoder.js';
export { statisticsEncoder, weightStatistics, STATISTICS_LENGTH } from './encoders/statisticsEncoder.js';
export { flatEncoder, flattenWeights } from './encoders/flatEncoder.js';
export { unsortedSegmentSum, gatherRows } from './encoders/segmentSum.js';
