import * as tf from '@tensorflow/tfjs-core';
import { isTapeOn } from '../../autodiff/engineInternals.js';
import { type Tree, tidyTree, treeDispose, treeMap } from '../../tree/tree.js';
import { treeAddScaled, treeDot, treeScale, treeSub, treeZerosLike } from '../../tree/treeMath.js';
import { mulberry32, normalTensor } from '../../util/random.js';
import { checkPositive, checkPositiveInteger, checkSeed } from '../../util/validate.js';
import { replayInnerLoop } from './unrolled.js';
import type { HypergradientMethod, MethodEntry, WithRandomState } from './types.js';

/**
 * A zero-order hypergradient by evolution strategies (antithetic Gaussian smoothing; Salimans et
 * al. 2017, Song et al. 2020 "ES-MAML", Gu et al. 2021 "HOZOG"): the lower problem's recorded
 * inner loop is re-run, forward only, with the upper parameters perturbed,
 *
 *   `(dw_K/dtheta)^T v ~ (1/n) sum_i eps_i <w_K(theta + sigma eps_i) - w_K(theta - sigma eps_i), v> / (2 sigma)`,
 *
 * `eps_i ~ N(0, I)` over all upper parameters, `n = samples` antithetic pairs (2n replays of the
 * inner loop). It estimates what `unrolled` computes exactly (the Gaussian-smoothed derivative of
 * the same loop), with no tape through the loop: memory is one replay, the error falls like
 * `sqrt(dim(theta) / n)`, so it suits few hyperparameters. Noise comes from a generator seeded by
 * `seed`; each hypergradient draws fresh perturbations. Its result is not differentiated again
 * (it refuses to sit below a problem that is itself a lower problem).
 */
export interface EsOptions {
  /** Discriminant. */
  method: 'es';
  /** Antithetic pairs n (2n replays of the inner loop); default 8. */
  samples?: number;
  /** Perturbation scale sigma, in the upper parameters' units; default 0.01. */
  sigma?: number;
  /** Seed of the perturbations; default 0. */
  seed?: number;
}

/** The `es` row of the method table. */
export const es: MethodEntry<'es'> = {
  method: 'es',
  summary: 'evolution strategies: antithetic perturbations of theta through the recorded inner loop',
  defaults: (o = {}) => ({ method: 'es', ...(o.iterations !== undefined ? { samples: o.iterations } : {}), ...(o.alpha !== undefined ? { sigma: o.alpha } : {}) }),
  validate: (who, o) => {
    if (o.samples !== undefined) checkPositiveInteger(who, 'samples', o.samples);
    if (o.sigma !== undefined) checkPositive(who, 'sigma', o.sigma);
    if (o.seed !== undefined) checkSeed(who, 'seed', o.seed);
  },
  build: ({ samples = 8, sigma = 0.01, seed = 0 }) => {
    // The generator's state is exposed (randomState) so that an engine checkpoint resumes its draws.
    let state = Math.floor(seed) >>> 0;
    const rand = () => {
      const [u, next] = mulberry32(state);
      state = next;
      return u;
    };
    const method: HypergradientMethod = (ctx, v) => {
      if (isTapeOn()) {
        throw new Error(`problem '${ctx.name}': es is zero-order and its estimate is not differentiated again (an upper problem of '${ctx.name}' is itself a lower problem); use unrolled there`);
      }
      const final = (theta: Tree[]) => tidyTree(() => replayInnerLoop(ctx.name, ctx.innerLoop, theta)[0]);
      let acc: Tree[] = treeZerosLike(ctx.theta);
      for (let i = 0; i < samples; i++) {
        const next = tidyTree(() => {
          const eps = treeMap((t) => normalTensor(t.shape, rand), ctx.theta);
          const diff = treeSub(final(treeAddScaled(ctx.theta, sigma, eps)), final(treeAddScaled(ctx.theta, -sigma, eps)));
          const c = tf.div(treeDot(diff, v), 2 * sigma) as tf.Scalar;
          return treeAddScaled(acc, c, eps);
        });
        treeDispose(acc);
        acc = next;
      }
      const mean = tidyTree(() => treeScale(acc, 1 / samples));
      treeDispose(acc);
      return mean;
    };
    return Object.assign(method, { randomState: { get: () => state, set: (s: number) => { state = s >>> 0; } } } satisfies WithRandomState);
  },
  innerLoop: () => ({ record: true, defer: false }),
  replicaSafe: false,
};
