import * as tf from '@tensorflow/tfjs-core';
import { gradients } from '../../autodiff/tape.js';
import { jvp } from '../../autodiff/vjp.js';
import { type Tree, tidyTree, treeFlatten, treeMap, treeUnflatten } from '../../tree/tree.js';
import { treeNorm, treeOnesLike, treeScale, treeSub } from '../../tree/treeMath.js';
import { normalTensor, seededRandom } from '../../util/random.js';
import { checkPositive } from '../../util/validate.js';
import { syncReadsCheap } from '../../backend/syncReads.js';
import { centralMixedTerm } from './implicitTerms.js';
import { type HypergradientContext, type MethodEntry, NO_INNER_LOOP } from './types.js';

/**
 * SAMA (Choe et al. 2023, "Making Scalable Meta Learning Practical", arXiv 2310.05674): implicit
 * differentiation adapted to the base optimizer, with no second-order products.
 *
 * At a fixed point of the update `w <- w + Delta(g(w, theta))` (`Delta = schedule(k) u(g)` the
 * optimizer's parameter update at its current state), `dw_star/dtheta = -(J H)^-1 J d^2F/dw dtheta`
 * with `J = -dDelta/dg`. SAMA replaces the base Jacobian `(J H)^-1` by the identity, keeps `J`,
 * which is diagonal for coordinate-wise optimizers (SGD: `lr I`; Adam: the derivative of
 * `m_hat / (sqrt(v_hat) + eps)` in `g`, per coordinate), and applies the mixed term by central
 * differences of first-order gradients:
 *
 *   `(dw_star/dtheta)^T v ~ -(grad_theta F(w + eps u) - grad_theta F(w - eps u)) / 2 eps`,
 *   `u = diag(J) v`, `eps = alpha / ||u||`.
 *
 * `diag(J)` is the forward-mode derivative of the update along ones, at the current gradient
 * `g = grad_w F(w*, theta)`, optimizer state and update count (the update the solution would
 * take next). With SGD at rate `lr` this is `finiteDifference` with `learningRate: lr`. The first
 * call checks that the update is coordinate-wise (a random-direction derivative must equal
 * `diag(J)` times the direction) and throws otherwise; on GPU backends, where that read would
 * stall (and webgpu in Node refuses it), the first hypergradient is NaN instead, which fails the
 * upper problem's update naming this problem's method.
 */
export interface SamaOptions {
  /** Discriminant. */
  method: 'sama';
  /** `eps = alpha / ||diag(J) v||`; default 0.01. */
  alpha?: number;
}

/** `g -> -schedule(k) u(g)`: the parameter update's negative, as a function of the gradient. */
function negativeUpdate(ctx: HypergradientContext): (g: Tree) => Tree {
  const { transformation, state, step, schedule } = ctx.optimizer;
  const factor = -(schedule ? schedule(step) : 1);
  return (g) => treeScale(transformation.update(g, state, ctx.w, step)[0], factor);
}

/** `diag(J)` at the current gradient: the update's derivative along ones. */
export function updateJacobianDiagonal(ctx: HypergradientContext): Tree {
  return tidyTree(() => {
    const { leaves, def } = treeFlatten(ctx.w);
    const { value, grads } = gradients(() => ctx.objective(treeUnflatten(def, leaves), ctx.theta), leaves);
    value.dispose();
    const g = treeUnflatten(def, grads);
    return jvp(negativeUpdate(ctx), g, treeOnesLike(g))[1];
  });
}

/** The error for an optimizer whose update mixes coordinates. */
function notCoordinateWise(name: string): Error {
  return new Error(`problem '${name}': sama needs an optimizer whose update acts coordinate by coordinate (sgd, adam, adamW, rmsprop, chains of those); this one mixes coordinates, so its Jacobian is not diagonal. Use finiteDifference or an implicit method`);
}

/**
 * A boolean scalar, true unless `J t = diag(J) t` for a random `t` (the update acts coordinate by
 * coordinate), on the device.
 */
function mixesCoordinates(ctx: HypergradientContext, diag: Tree): tf.Scalar {
  return tf.tidy(() => {
    const { leaves, def } = treeFlatten(ctx.w);
    const { value, grads } = gradients(() => ctx.objective(treeUnflatten(def, leaves), ctx.theta), leaves);
    value.dispose();
    const rand = seededRandom(1);
    const t = treeMap((x) => normalTensor(x.shape, rand), ctx.w);
    const jt = jvp(negativeUpdate(ctx), treeUnflatten(def, grads), t)[1];
    const dt = treeMap((d, x) => tf.mul(d, x), diag, t);
    const gap = treeNorm(treeSub(jt, dt));
    return tf.logicalNot(tf.lessEqual(gap, tf.add(tf.mul(treeNorm(dt), 1e-3), 1e-12))) as tf.Scalar;
  });
}

/** The `sama` row of the method table. */
export const sama: MethodEntry<'sama'> = {
  method: 'sama',
  summary: 'SAMA: identity base Jacobian, v scaled by the diagonal Jacobian of the optimizer update',
  defaults: (o = {}) => ({ method: 'sama', ...(o.alpha !== undefined ? { alpha: o.alpha } : {}) }),
  validate: (who, o) => {
    if (o.alpha !== undefined) checkPositive(who, 'alpha', o.alpha);
  },
  build: ({ alpha = 0.01 }) => {
    let checked = false;
    return (ctx, v) => tidyTree(() => {
      const diag = updateJacobianDiagonal(ctx);
      // The first call checks the optimizer: with one read where reads are cheap (a clear error),
      // on GPU backends with none (a NaN result instead).
      let mixes: tf.Scalar | null = null;
      if (!checked) {
        checked = true;
        mixes = mixesCoordinates(ctx, diag);
        if (syncReadsCheap()) {
          if (mixes.dataSync()[0] !== 0) throw notCoordinateWise(ctx.name);
          mixes = null;
        }
      }
      const out = centralMixedTerm(ctx, treeMap((d, x) => tf.mul(d, x), diag, v), alpha, 1);
      const flag = mixes;
      return flag === null ? out : treeMap((x) => tf.where(flag, tf.fill(x.shape, Number.NaN), x), out);
    });
  },
  innerLoop: () => NO_INNER_LOOP,
  replicaSafe: false,
};
