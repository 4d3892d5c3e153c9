import * as tf from '@tensorflow/tfjs-core';
import type { DenseWeights, MlpWeights } from '../gp/encoders/weightGraph.js';
import { sampleConfig } from '../hpo/searchSpace.js';
import { roundArray } from '../precision/formats.js';
import { seededRandom } from '../util/random.js';
import { checkInteger, checkSeed } from '../util/validate.js';
import { type EpochResult, FineTuneRun, fineTuneConfig, type FineTuneConfig } from './fineTune.js';
import { sourceDigits, targetDigits } from './zooData.js';
import { disposeTraining, initNet, netWeights, startTraining, trainEpoch } from './zooNet.js';
import { MAX_EPOCHS, PRETRAINING, TARGET_TASKS, ZOO_MODELS, ZOO_SEARCH_SPACE } from './zooSpec.js';

/** The tabulated fine-tuning runs of one target task. */
export interface TaskTable {
  /** The configurations, in order. */
  configs: FineTuneConfig[];
  /** The seed each configuration's run used (its mini-batch order). */
  seeds: number[];
  /** Per configuration, one result per epoch 1..maxEpochs. */
  curves: EpochResult[][];
  /** Per configuration, the checkpoint after each epoch 1..maxEpochs (16-bit-rounded weights). */
  checkpoints: MlpWeights[][];
}

/** The zoo and its tabulated fine-tuning runs. */
export interface ZooTable {
  /** Format version. */
  version: 1;
  /** The seed everything was built from. */
  seed: number;
  /** The tfjs backend that computed it. */
  backend: string;
  /** Epochs per run. */
  maxEpochs: number;
  /** The pretrained networks (weights rounded to fp16, as stored), by zoo index. */
  pretrained: MlpWeights[];
  /** The runs, by target task name. */
  tasks: Record<string, TaskTable>;
}

/** Options of {@link buildZooTable}. */
export interface BuildZooOptions {
  /** The seed of everything (initialisations, mini-batch orders, sampled configurations); default 0. */
  seed?: number;
  /** Configurations tabulated per target task; default 192 on the first task and 64 on the others. */
  configsPerTask?: Record<string, number>;
  /** Zoo models to build (a prefix of the zoo, for tests); default all 48. */
  models?: number;
  /** Epochs per fine-tuning run; default MAX_EPOCHS. */
  epochs?: number;
  /** Called after each model is pretrained and each run is tabulated. */
  onProgress?: (what: string) => void;
}

/** Weights rounded to fp16 and back (what the table stores): fine-tuning starts from these. */
export function roundWeights(w: MlpWeights): DenseWeights[] {
  return w.map((l) => ({ ...l, weights: roundArray(l.weights, 'fp16'), bias: roundArray(l.bias, 'fp16') }));
}

/** Pretrains zoo model `index` on its source task with SGD ({@link PRETRAINING}); returns fp16-rounded weights. */
export function pretrainModel(index: number, seed: number): DenseWeights[] {
  const model = ZOO_MODELS[checkInteger('pretrainModel', 'index', index, { min: 0, max: ZOO_MODELS.length - 1 })] as (typeof ZOO_MODELS)[number];
  const rand = seededRandom((checkSeed('pretrainModel', 'seed', seed) * 7919 + index * 104729 + 1) >>> 0);
  const data = sourceDigits(model.source);
  const settings = { lr: PRETRAINING.lr, momentum: PRETRAINING.momentum, weightDecay: 0, batchSize: PRETRAINING.batchSize };
  let st = startTraining(initNet(model.architecture, rand), model.architecture.hidden.map(() => true).concat(true), settings);
  for (let e = 0; e < PRETRAINING.epochs; e++) st = trainEpoch(st, model.architecture, data, settings, rand);
  const w = roundWeights(netWeights(st.params));
  disposeTraining(st);
  return w;
}

/** `k` configurations of a target task: models in a seeded balanced order, the rest sampled uniformly. */
export function sampleTaskConfigs(k: number, models: number, rand: () => number): FineTuneConfig[] {
  const order: number[] = [];
  while (order.length < k) {
    const round = Array.from({ length: models }, (_v, i) => i);
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [round[i], round[j]] = [round[j] as number, round[i] as number];
    }
    order.push(...round);
  }
  return order.slice(0, k).map((model) => fineTuneConfig({ ...sampleConfig(ZOO_SEARCH_SPACE, rand), model }));
}

/**
 * Builds the zoo deterministically from a seed: pretrains every model on its source task, then
 * fine-tunes sampled configurations on each target task for `epochs` epochs, recording the
 * validation and test errors, the validation cross-entropy, the training seconds and the
 * checkpoint (rounded to fp16) of every epoch. Needs an initialised tfjs backend; minutes on two
 * cores (`scripts/buildZoo.mjs` writes the result to `data/zoo/`).
 */
export function buildZooTable(options: BuildZooOptions = {}): ZooTable {
  const { seed = 0, models = ZOO_MODELS.length, epochs = MAX_EPOCHS, onProgress } = options;
  checkSeed('buildZooTable', 'seed', seed);
  checkInteger('buildZooTable', 'models', models, { min: 1, max: ZOO_MODELS.length });
  checkInteger('buildZooTable', 'epochs', epochs, { min: 1, max: MAX_EPOCHS });
  const counts = options.configsPerTask ?? Object.fromEntries(TARGET_TASKS.map((t, i) => [t.name, i === 0 ? 192 : 64]));
  const pretrained: DenseWeights[][] = [];
  for (let m = 0; m < models; m++) {
    pretrained.push(pretrainModel(m, seed));
    onProgress?.(`pretrained model ${m + 1}/${models}`);
  }
  const tasks: Record<string, TaskTable> = {};
  TARGET_TASKS.forEach((task, t) => {
    const k = counts[task.name] ?? 0;
    if (k === 0) return;
    checkInteger('buildZooTable', `configsPerTask.${task.name}`, k, { min: 1 });
    const rand = seededRandom((seed * 31 + t * 1_000_003 + 17) >>> 0);
    const configs = sampleTaskConfigs(k, models, rand);
    const data = targetDigits(task);
    const table: TaskTable = { configs, seeds: [], curves: [], checkpoints: [] };
    configs.forEach((config, i) => {
      const runSeed = Math.floor(rand() * 2 ** 31);
      const run = new FineTuneRun(pretrained[config.model] as MlpWeights, config, data, runSeed);
      const checkpoints: MlpWeights[] = [];
      for (let e = 1; e <= epochs; e++) {
        run.advance(e);
        checkpoints.push(roundWeights(run.checkpoint()));
      }
      table.seeds.push(runSeed);
      table.curves.push(run.curve.slice());
      table.checkpoints.push(checkpoints);
      run.dispose();
      onProgress?.(`${task.name}: run ${i + 1}/${k}`);
    });
    tasks[task.name] = table;
  });
  return { version: 1, seed, backend: tf.getBackend(), maxEpochs: epochs, pretrained, tasks };
}
