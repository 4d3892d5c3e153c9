import type { MlpWeights } from '../gp/encoders/weightGraph.js';
import type { Config } from '../hpo/types.js';
import { seededRandom } from '../util/random.js';
import { checkInteger, checkNumber, checkOneOf, checkSeed } from '../util/validate.js';
import type { TargetDigits } from './zooData.js';
import { type TrainState, disposeTraining, evaluateNet, netFromWeights, netWeights, startTraining, trainEpoch } from './zooNet.js';
import { BATCH_SIZES, FROZEN_CHOICES, type Frozen, MAX_EPOCHS, ZOO_MODELS, ZOO_SEARCH_SPACE } from './zooSpec.js';

/** A fine-tuning configuration, typed. */
export interface FineTuneConfig {
  /** The zoo model's index. */
  model: number;
  /** SGD's learning rate. */
  lr: number;
  /** SGD's momentum. */
  momentum: number;
  /** L2 weight decay. */
  weightDecay: number;
  /** Mini-batch size. */
  batchSize: number;
  /** Which layers stay frozen. */
  frozen: Frozen;
}

const range = (k: string) => ZOO_SEARCH_SPACE[k] as { low: number; high: number };

/**
 * Reads and checks a configuration of the zoo's search space; errors name the hyperparameter,
 * the value and the accepted range (e.g. `zoo: config.model must be an integer in [0, 47], got 48`).
 */
export function fineTuneConfig(c: Config): FineTuneConfig {
  const num = (k: string) => checkNumber('zoo', `config.${k}`, c[k], { min: range(k).low, max: range(k).high });
  return {
    model: checkInteger('zoo', 'config.model', c.model, { min: 0, max: ZOO_MODELS.length - 1 }),
    lr: num('learning_rate'), momentum: num('momentum'), weightDecay: num('weight_decay'),
    batchSize: checkOneOf('zoo', 'config.batch_size', c.batch_size, BATCH_SIZES),
    frozen: checkOneOf('zoo', 'config.frozen', c.frozen, FROZEN_CHOICES),
  };
}

/** The configuration record of a typed configuration. */
export function configRecord(f: FineTuneConfig): Config {
  return { model: f.model, learning_rate: f.lr, momentum: f.momentum, weight_decay: f.weightDecay, batch_size: f.batchSize, frozen: f.frozen };
}

/** Which layers train, for `layers` dense layers and a frozen choice. */
export function trainableLayers(layers: number, frozen: Frozen): boolean[] {
  return Array.from({ length: layers }, (_v, i) => (frozen === 'none' ? true : frozen === 'first' ? i > 0 : i === layers - 1));
}

/** Checks a fidelity: an integer epoch in [1, MAX_EPOCHS]. */
export function checkEpoch(epoch: unknown): number {
  return checkInteger('zoo', 'fidelity (epoch)', epoch, { min: 1, max: MAX_EPOCHS });
}

/** What one fine-tuning epoch measured. */
export interface EpochResult {
  /** Validation error after the epoch. */
  validError: number;
  /** Validation cross-entropy. */
  validCrossEntropy: number;
  /** Test error. */
  testError: number;
  /** Wall-clock seconds of the epoch's training (evaluation excluded). */
  seconds: number;
}

/**
 * A fine-tuning run of one zoo model with one configuration on a target task, epoch by epoch,
 * resumable: {@link advance} continues from the last epoch's weights and SGD state (freeze-thaw).
 * Deterministic for a seed on a given backend: the mini-batch order comes from `seed`.
 */
export class FineTuneRun {
  /** Epochs trained so far. */
  epoch = 0;
  /** One result per epoch trained. */
  readonly curve: EpochResult[] = [];
  /** The configuration. */
  readonly config: FineTuneConfig;
  private state: TrainState;
  private readonly rand: () => number;
  private readonly data: TargetDigits;

  constructor(pretrained: MlpWeights, config: FineTuneConfig, data: TargetDigits, seed: number) {
    this.config = config;
    this.data = data;
    this.rand = seededRandom(checkSeed('FineTuneRun', 'seed', seed));
    const s = this.settings();
    this.state = startTraining(netFromWeights(pretrained), trainableLayers(pretrained.length, config.frozen), s);
  }

  private settings() {
    const { lr, momentum, weightDecay, batchSize } = this.config;
    return { lr, momentum, weightDecay, batchSize };
  }

  /** Trains up to `epoch` (no-op if already there); returns the curve so far. */
  advance(epoch: number): EpochResult[] {
    checkEpoch(epoch);
    const arch = (ZOO_MODELS[this.config.model] as (typeof ZOO_MODELS)[number]).architecture;
    while (this.epoch < epoch) {
      const t0 = performance.now();
      this.state = trainEpoch(this.state, arch, this.data.train, this.settings(), this.rand);
      const seconds = (performance.now() - t0) / 1000;
      const v = evaluateNet(this.state.params, arch, this.data.valid);
      const t = evaluateNet(this.state.params, arch, this.data.test);
      this.curve.push({ validError: v.error, validCrossEntropy: v.crossEntropy, testError: t.error, seconds });
      this.epoch++;
    }
    return this.curve;
  }

  /** The current weights (a host copy). */
  checkpoint(): MlpWeights {
    return netWeights(this.state.params);
  }

  /** Frees the run's tensors. */
  dispose(): void {
    disposeTraining(this.state);
  }
}

/** The maximal fidelity, re-exported for callers that import the run only. */
export { MAX_EPOCHS };
