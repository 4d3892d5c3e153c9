/**
 * Models shared by the problems, the benchmarks and the optimizers, each defined once.
 * @module
 */
export { type Mlp, type MlpValidation, mlpLogits, initMlp, mlpValidation, readMlpValidation } from './mlp.js';
export { type LrWdProgram, type Batch as DigitBatch, lrWdProgram, randomBatches } from './lrWdProgram.js';
