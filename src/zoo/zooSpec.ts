import type { SearchSpace } from '../hpo/types.js';
import type { DigitTransform } from './digits.js';

/** A zoo network's architecture: an MLP 49 -> hidden... -> 10. */
export interface Architecture {
  /** Hidden layer widths (one or two layers). */
  hidden: readonly number[];
  /** The hidden nonlinearity. */
  activation: 'relu' | 'tanh';
}

/** A pretraining (source) or fine-tuning (target) task: digits transformed, optionally some classes only. */
export interface DigitTask {
  /** Its name. */
  name: string;
  /** The image transformation. */
  transform: DigitTransform;
  /** The labels kept (all ten when omitted). */
  classes?: readonly number[];
}

/** The source tasks the zoo's networks are pretrained on. */
export const SOURCE_TASKS: readonly DigitTask[] = [
  { name: 'digits0-4', transform: 'identity', classes: [0, 1, 2, 3, 4] },
  { name: 'digits5-9', transform: 'identity', classes: [5, 6, 7, 8, 9] },
  { name: 'rotated90', transform: 'rotate90' },
  { name: 'plain', transform: 'identity' },
];

/** The target tasks the zoo's networks are fine-tuned on; the first is the benchmark's default. */
export const TARGET_TASKS: readonly DigitTask[] = [
  { name: 'mirror', transform: 'mirror' },
  { name: 'rotated180', transform: 'rotate180' },
  { name: 'inverted', transform: 'invert' },
];

/** The 12 architectures: widths 12, 16, 24; one or two hidden layers; ReLU or tanh. */
export const ARCHITECTURES: readonly Architecture[] = [12, 16, 24].flatMap((w) =>
  [[w], [w, w]].flatMap((hidden) => (['relu', 'tanh'] as const).map((activation) => ({ hidden, activation }))));

/** One zoo model: an architecture pretrained on a source task. */
export interface ZooModel {
  /** Its index in the zoo. */
  index: number;
  /** Its architecture. */
  architecture: Architecture;
  /** Its source task. */
  source: DigitTask;
}

/** The 48 zoo models: every architecture on every source task (architecture-major). */
export const ZOO_MODELS: readonly ZooModel[] = ARCHITECTURES.flatMap((architecture, a) =>
  SOURCE_TASKS.map((source, s) => ({ index: a * SOURCE_TASKS.length + s, architecture, source })));

/** Which layers fine-tuning leaves frozen. */
export const FROZEN_CHOICES = ['none', 'first', 'all-but-head'] as const;
/** One of {@link FROZEN_CHOICES}. */
export type Frozen = (typeof FROZEN_CHOICES)[number];

/** Mini-batch sizes fine-tuning may use. */
export const BATCH_SIZES = [16, 32, 64, 128] as const;

/** Fine-tuning epochs: the fidelity's range is 1..MAX_EPOCHS. */
export const MAX_EPOCHS = 10;

/**
 * The fine-tuning search space: which zoo model, SGD's learning rate, momentum and weight decay,
 * the batch size, and which layers stay frozen (`first`: the first hidden layer; `all-but-head`:
 * every layer but the output layer).
 */
export const ZOO_SEARCH_SPACE: SearchSpace = {
  model: { type: 'categorical', choices: ZOO_MODELS.map((m) => m.index) },
  learning_rate: { type: 'float', low: 1e-3, high: 0.3, log: true },
  momentum: { type: 'float', low: 0, high: 0.95 },
  weight_decay: { type: 'float', low: 1e-6, high: 1e-2, log: true },
  batch_size: { type: 'categorical', choices: [...BATCH_SIZES] },
  frozen: { type: 'categorical', choices: [...FROZEN_CHOICES] },
};

/** How the 10,000 MNIST digits are split: a pool for the source tasks, and the targets' train/valid/test digits. */
export const SPLITS = {
  /** Seed of the shuffle. */
  seed: 0,
  /** Digits for the source tasks. */
  source: 5000,
  /** Fine-tuning digits of the target tasks. */
  targetTrain: 600,
  /** Validation digits (the objective). */
  targetValid: 1000,
  /** Test digits. */
  targetTest: 1000,
} as const;

/** Pretraining: SGD with momentum 0.9, this learning rate, batch 64, this many epochs. */
export const PRETRAINING = {
  /** Learning rate. */
  lr: 0.1,
  /** Momentum. */
  momentum: 0.9,
  /** Mini-batch size. */
  batchSize: 64,
  /** Epochs over the source task. */
  epochs: 4,
} as const;

/** Global gradient-norm clipping in fine-tuning and pretraining (keeps high learning rates finite). */
export const CLIP_NORM = 5;
