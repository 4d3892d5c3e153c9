import * as tf from '@tensorflow/tfjs-core';
import { type Tree, flattenAligned, treeFlatten, treeMap, treeUnflatten } from '../tree/tree.js';
import { type GradientTransformation, type LearningRate, rateAt } from './types.js';

function checkNonNegative(who: string, name: string, x: number, max = Infinity): void {
  if (!(Number.isFinite(x) && x >= 0 && x < max)) {
    throw new Error(`${who}: ${name} must be a number in [0, ${max === Infinity ? 'inf' : max}), got ${x}`);
  }
}

/** `u = -lr(step) g`. */
export function scaleByLearningRate(lr: LearningRate): GradientTransformation<[]> {
  if (typeof lr === 'number') checkNonNegative('scaleByLearningRate', 'lr', lr);
  else if (typeof lr !== 'function') throw new Error(`scaleByLearningRate: lr must be a number or a schedule, got ${typeof lr}`);
  return {
    init: () => [],
    update: (grads, state, _params, step) => {
      // One op per leaf, no temporaries: no per-leaf scope needed (this runs once per inner step).
      const rate = -rateAt(lr, step);
      const { leaves, def } = treeFlatten(grads);
      return [treeUnflatten(def, leaves.map((g) => tf.mul(g, rate))), state];
    },
  };
}

/**
 * Momentum (heavy ball): `v <- mu v + g`; the update is `v`, or `g + mu v` with Nesterov
 * (Sutskever et al. 2013, as in PyTorch's SGD).
 */
export function traceMomentum(momentum: number, nesterov = false): GradientTransformation<Tree> {
  checkNonNegative('traceMomentum', 'momentum', momentum, 1);
  return {
    init: (params) => treeMap((p) => tf.zerosLike(p), params),
    update: (grads, state) => {
      const v = treeMap((m, g) => tf.add(tf.mul(m, momentum), g), state, grads);
      const u = nesterov ? treeMap((g, m) => tf.add(g, tf.mul(m, momentum)), grads, v) : v;
      return [u, v];
    },
  };
}

/** Adds `wd * params` to the incoming updates (L2 weight decay, or decoupled after Adam). */
export function addDecayedWeights(weightDecay: number): GradientTransformation<[]> {
  checkNonNegative('addDecayedWeights', 'weightDecay', weightDecay);
  return {
    init: () => [],
    update: (grads, state, params) => [weightDecay === 0 ? grads : treeMap((g, p) => tf.add(g, tf.mul(p, weightDecay)), grads, params), state],
  };
}

/** State of {@link scaleByAdam}. */
export interface AdamState {
  /** First-moment estimate m. */
  mu: Tree;
  /** Second-moment estimate v. */
  nu: Tree;
  [key: string]: Tree;
}

/**
 * Adam's scaling (Kingma & Ba 2015): `m <- b1 m + (1-b1) g`, `v <- b2 v + (1-b2) g^2`,
 * `u = m_hat / (sqrt(v_hat + epsRoot) + eps)` with bias-corrected `m_hat = m / (1 - b1^t)`,
 * `v_hat = v / (1 - b2^t)`, `t = step + 1`. `epsRoot` (optax's `eps_root`) keeps the square root
 * differentiable at 0 inside unrolled hypergradients.
 */
export function scaleByAdam(b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 1e-16): GradientTransformation<AdamState> {
  checkNonNegative('scaleByAdam', 'b1', b1, 1);
  checkNonNegative('scaleByAdam', 'b2', b2, 1);
  checkNonNegative('scaleByAdam', 'eps', eps);
  return {
    init: (params) => ({ mu: treeMap((p) => tf.zerosLike(p), params), nu: treeMap((p) => tf.zerosLike(p), params) }),
    update: (grads, state, _params, step) => {
      const t = step + 1;
      const mu = treeMap((m, g) => tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)), state.mu, grads);
      const nu = treeMap((v, g) => tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)), state.nu, grads);
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      const u = treeMap((m, v) => tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.add(tf.div(v, c2), epsRoot)), eps)), mu, nu);
      return [u, { mu, nu }];
    },
  };
}

/** RMSprop's scaling (Tieleman & Hinton 2012): `s <- d s + (1-d) g^2`, `u = g / (sqrt(s + epsRoot) + eps)`. */
export function scaleByRms(decay = 0.9, eps = 1e-8, epsRoot = 1e-16): GradientTransformation<Tree> {
  checkNonNegative('scaleByRms', 'decay', decay, 1);
  return {
    init: (params) => treeMap((p) => tf.zerosLike(p), params),
    update: (grads, state) => {
      const s = treeMap((m, g) => tf.add(tf.mul(m, decay), tf.mul(tf.square(g), 1 - decay)), state, grads);
      return [treeMap((g, m) => tf.div(g, tf.add(tf.sqrt(tf.add(m, epsRoot)), eps)), grads, s), s];
    },
  };
}

/** Applies transformations in order: the updates of one are the gradients of the next. */
export function chain(...transforms: GradientTransformation<Tree>[]): GradientTransformation<Tree[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update: (grads, state, params, step) => {
      let u = grads;
      const next: Tree[] = [];
      transforms.forEach((t, i) => {
        const [ui, si] = t.update(u, state[i] as Tree, params, step);
        u = ui;
        next.push(si);
      });
      return [u, next];
    },
  };
}

/** `params + updates`, leafwise. */
export function applyUpdates<T extends Tree>(params: T, updates: Tree): T {
  const { leaves, def } = flattenAligned('applyUpdates (params, updates)', [params, updates]);
  const [p, u] = leaves as [tf.Tensor[], tf.Tensor[]];
  return treeUnflatten<T>(def, p.map((x, i) => tf.add(x, u[i] as tf.Tensor)));
}

/** Disposes every tensor of an optimizer state. */
export function disposeState(state: Tree): void {
  tf.dispose(treeFlatten(state).leaves);
}
