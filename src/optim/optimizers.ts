import type { Tree } from '../tree/tree.js';
import { addDecayedWeights, chain, scaleByAdam, scaleByLearningRate, scaleByRms, traceMomentum } from './transforms.js';
import type { GradientTransformation, LearningRate } from './types.js';

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** Learning rate or schedule. */
  lr: LearningRate;
  /** Momentum in [0, 1); default 0. */
  momentum?: number;
  /** Nesterov momentum; default false. */
  nesterov?: boolean;
  /** L2 weight decay added to the gradient; default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with optional momentum, Nesterov and L2 weight decay (PyTorch's
 * convention): `g' = g + wd p`, `v <- mu v + g'`, `p <- p - lr v` (Nesterov: `p <- p - lr (g' + mu v)`).
 * @example
 * ```ts
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 * let state = opt.init(params);
 * const [updates, next] = opt.update(grads, state, params, step);
 * params = applyUpdates(params, updates);
 * ```
 */
export function sgd({ lr, momentum = 0, nesterov = false, weightDecay = 0 }: SgdOptions): GradientTransformation<Tree[]> {
  const parts: GradientTransformation<Tree>[] = [addDecayedWeights(weightDecay)];
  if (momentum > 0 || nesterov) parts.push(traceMomentum(momentum, nesterov));
  parts.push(scaleByLearningRate(lr));
  return chain(...parts);
}

/** Options of {@link adam} and {@link adamW}. */
export interface AdamOptions {
  /** Learning rate or schedule. */
  lr: LearningRate;
  /** First-moment decay; default 0.9. */
  b1?: number;
  /** Second-moment decay; default 0.999. */
  b2?: number;
  /** Denominator constant; default 1e-8. */
  eps?: number;
  /** Weight decay: L2 on the gradient for `adam`, decoupled for `adamW`; default 0 (adam) or 1e-2 (adamW). */
  weightDecay?: number;
}

/** Adam (Kingma & Ba 2015), with optional L2 weight decay added to the gradient. */
export function adam({ lr, b1, b2, eps, weightDecay = 0 }: AdamOptions): GradientTransformation<Tree[]> {
  return chain(addDecayedWeights(weightDecay), scaleByAdam(b1, b2, eps), scaleByLearningRate(lr));
}

/** AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, `p <- p - lr (u + wd p)`. */
export function adamW({ lr, b1, b2, eps, weightDecay = 1e-2 }: AdamOptions): GradientTransformation<Tree[]> {
  return chain(scaleByAdam(b1, b2, eps), addDecayedWeights(weightDecay), scaleByLearningRate(lr));
}

/** Options of {@link rmsprop}. */
export interface RmspropOptions {
  /** Learning rate or schedule. */
  lr: LearningRate;
  /** Decay of the squared-gradient average; default 0.9. */
  decay?: number;
  /** Denominator constant; default 1e-8. */
  eps?: number;
  /** Momentum on the scaled gradient; default 0. */
  momentum?: number;
}

/** RMSprop (Tieleman & Hinton 2012), optionally with momentum on the scaled gradient. */
export function rmsprop({ lr, decay, eps, momentum = 0 }: RmspropOptions): GradientTransformation<Tree[]> {
  const parts: GradientTransformation<Tree>[] = [scaleByRms(decay, eps)];
  if (momentum > 0) parts.push(traceMomentum(momentum));
  parts.push(scaleByLearningRate(lr));
  return chain(...parts);
}
