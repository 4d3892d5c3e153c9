import * as tf from '@tensorflow/tfjs-core';
import { customVjp } from '../autodiff/customVjp.js';
import { isTapeOn } from '../autodiff/engineInternals.js';
import type { KernelSpec } from './kernels.js';
import { type MarginalLikelihood, negativeLogMarginalLikelihood } from './marginalLikelihood.js';

/**
 * The GP's negative log marginal likelihood as a differentiable tfjs op: the place where the
 * float32 tfjs network of a deep kernel meets the float64 GP algebra.
 *
 * How the gradient crosses the boundary:
 * - forward: the features `Z` (float32 `[n, d]`, the network's output) and the hyperparameters
 *   `theta` (float32 `[p + 3]`) are read to the host and widened to float64 (exactly: every
 *   float32 is a float64). The NLL, `dNLL/dZ` and `dNLL/dtheta` are computed there in float64
 *   ({@link negativeLogMarginalLikelihood}: a Cholesky factorization, `K^-1` and the kernel's
 *   pull-back). The value is returned as a float32 scalar (rounded once);
 * - backward: the op is recorded with {@link customVjp}, whose VJP multiplies the output's
 *   cotangent `c` by the float64 gradients rounded to float32 once: `dZ = c dNLL/dZ`,
 *   `dtheta = c dNLL/dtheta`. hypergrad's tape carries `dZ` on through the network in float32,
 *   so `valueAndGrad` of a loss built on this op gives the exact gradient of the float64 NLL
 *   composed with the float32 network, up to one float32 rounding of each of its inputs and of
 *   the cotangents at the boundary (`test/gp/deepKernel.test.ts` checks it against central
 *   differences).
 *
 * The op is first order only: its VJP is computed on the host, so a gradient of its gradient
 * (e.g. a Hessian-vector product through it) would be silently zero; such a call throws.
 *
 * @param features - `Z`, float32 `[n, d]`.
 * @param theta - the unconstrained hyperparameters (`hyperparameters.ts`), float32 `[p + 3]`.
 * @param y - the targets, float64, `n` of them.
 * @example
 * ```ts
 * const { value, grads } = valueAndGrad((p: { w: tf.Tensor; theta: tf.Tensor }) =>
 *   gpNegativeLogLikelihood(tf.matMul(x, p.w) as tf.Tensor2D, p.theta as tf.Tensor1D, y, { type: 'rbf' }))(params);
 * ```
 */
export function gpNegativeLogLikelihood(features: tf.Tensor2D, theta: tf.Tensor1D, y: Float64Array, spec: KernelSpec, noiseFloor = 1e-6): tf.Scalar {
  if (features.rank !== 2) throw new Error(`gpNegativeLogLikelihood: features must be [n, d], got shape [${features.shape}]`);
  const [n, d] = features.shape as [number, number];
  if (n !== y.length) throw new Error(`gpNegativeLogLikelihood: ${n} feature rows for ${y.length} targets`);
  const x = Float64Array.from(features.dataSync());
  const th = Float64Array.from(theta.dataSync());
  const recording = isTapeOn();
  const r: MarginalLikelihood = negativeLogMarginalLikelihood(spec, x, d, y, th, { noiseFloor, valueOnly: !recording });
  const value = tf.scalar(r.value);
  if (!recording) return value;
  const [out] = customVjp('gpNegativeLogLikelihood', [features, theta], [value], ([c]) => {
    if (isTapeOn()) {
      throw new Error(
        'gpNegativeLogLikelihood: a gradient of its gradient was asked (e.g. a Hessian-vector product through a GP fit); ' +
          'its VJP is computed in float64 on the host, so that second derivative would be silently zero. Take first derivatives only.',
      );
    }
    const scale = (c as tf.Tensor).dataSync()[0] as number;
    return [
      tf.tensor2d(Float32Array.from(r.inputs, (g) => g * scale), [n, d]),
      tf.tensor1d(Float32Array.from(r.theta, (g) => g * scale)),
    ];
  });
  value.dispose();
  return out as tf.Scalar;
}
