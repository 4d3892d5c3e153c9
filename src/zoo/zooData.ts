import { mnistSplits } from '../data/mnist.js';
import { type SmallDigits, downsample, transformDigits } from './digits.js';
import { type DigitTask, SPLITS } from './zooSpec.js';

/** A target task's digits: fine-tuning, validation (the HPO objective) and test splits. */
export interface TargetDigits {
  /** Fine-tuning digits. */
  train: SmallDigits;
  /** Validation digits (the objective). */
  valid: SmallDigits;
  /** Test digits. */
  test: SmallDigits;
}

let pools: { source: SmallDigits; train: SmallDigits; valid: SmallDigits; test: SmallDigits } | null = null;

/** The four disjoint pools of down-sampled digits ({@link SPLITS}), built once. */
function digitPools() {
  if (pools === null) {
    const [source, train, valid, test] = mnistSplits([SPLITS.source, SPLITS.targetTrain, SPLITS.targetValid, SPLITS.targetTest], SPLITS.seed).map(downsample) as [SmallDigits, SmallDigits, SmallDigits, SmallDigits];
    pools = { source, train, valid, test };
  }
  return pools;
}

/** A source task's pretraining digits (from the source pool, transformed, classes filtered). */
export function sourceDigits(task: DigitTask): SmallDigits {
  return transformDigits(digitPools().source, task.transform, task.classes);
}

/** A target task's digits (the target pools, transformed). */
export function targetDigits(task: DigitTask): TargetDigits {
  const p = digitPools();
  return { train: transformDigits(p.train, task.transform, task.classes), valid: transformDigits(p.valid, task.transform, task.classes), test: transformDigits(p.test, task.transform, task.classes) };
}
