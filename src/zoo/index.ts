/**
 * `hypergrad/zoo`: the model-zoo fine-tuning benchmark: 48 small MLPs pretrained on source tasks of down-sampled
 * MNIST digits, fine-tuned on target tasks; tabulated (data/zoo) or live.
 * @module
 */
export { type ZooBenchmark, type ZooBenchmarkOptions, zooBenchmark, zooBenchmarkByName, zooTransferRuns, isZooBenchmark, defaultZooTable } from './zooBenchmark.js';
export { type ZooTable, type TaskTable, type BuildZooOptions, buildZooTable, pretrainModel, sampleTaskConfigs, roundWeights } from './zooBuild.js';
export { readZooTable, writeZooTable, defaultZooDir, ZOO_FILES } from './zooStore.js';
export { type FineTuneConfig, type EpochResult, FineTuneRun, fineTuneConfig, configRecord, trainableLayers, checkEpoch } from './fineTune.js';
export {
  type Architecture, type DigitTask, type ZooModel, type Frozen, ARCHITECTURES, SOURCE_TASKS, TARGET_TASKS, ZOO_MODELS, ZOO_SEARCH_SPACE,
  FROZEN_CHOICES, BATCH_SIZES, MAX_EPOCHS, SPLITS, PRETRAINING, CLIP_NORM,
} from './zooSpec.js';
export { type SmallDigits, type DigitTransform, downsample, transformDigits, SIDE, PIXELS } from './digits.js';
export { nearestEntry } from './nearestEntry.js';
export { type BudgetScores, type ZooScores, type RunScores, type ZooSummaryRow, type OptimizerFactory, scoreRun, scoreZooRuns, summarizeZooScores, formatZooSummary, regretAt } from './zooReport.js';
export { writeZooReport, PAPER_TAU, FORECAST_SCHEDULE, type PaperTau } from './zooCli.js';
export { type TargetDigits, sourceDigits, targetDigits } from './zooData.js';
