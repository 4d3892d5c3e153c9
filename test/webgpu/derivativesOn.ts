import * as tf from '@tensorflow/tfjs-core';
import { grad, hvp, normalSamples, seededRandom } from '../../src/index.js';
import { type Tree, treeFlatten, treeMap } from '../../src/tree/tree.js';
import { readAll } from '../helpers/backends.js';
import { kernelsRun } from '../helpers/ruleHarness.js';

/** `f(x)`, the gradient and the Hessian-vector product of `L = <w, f(x)>` at `x` along `v`, read to the host. */
export interface Derivatives {
  value: Float64Array;
  grad: Float64Array[];
  hvp: Float64Array[];
  /** The kernels `f` ran, as recorded on the tape. */
  kernels: Set<string>;
}

/**
 * Computes {@link Derivatives} on `backend` for the case `make` builds, with the cotangent `w` and the
 * direction `v` drawn from `seed` (so every backend sees the same numbers), and checks nothing leaked.
 */
export async function derivativesOn(backend: string, make: () => { x: Tree; f: (x: Tree) => tf.Tensor }, seed: number): Promise<Derivatives> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  let kernels = new Set<string>();
  const [value, g, h] = tf.tidy(() => {
    const { x, f } = make();
    kernels = kernelsRun(() => f(x));
    const rand = seededRandom(seed);
    const out = f(x);
    const w = tf.tensor(normalSamples(rand, out.size), out.shape, 'float32');
    const v = treeMap((leaf) => tf.tensor(normalSamples(rand, leaf.size), leaf.shape, 'float32'), x);
    const L = (p: Tree) => tf.sum(tf.mul(w, f(p)));
    return [out, treeFlatten(grad(L)(x)).leaves, treeFlatten(hvp(L, x, v)).leaves] as const;
  });
  const [valueHost, ...rest] = await readAll([value, ...g, ...h]);
  tf.dispose([value, ...g, ...h]);
  if (tf.memory().numTensors !== before) throw new Error(`derivativesOn(${backend}): ${tf.memory().numTensors - before} tensors leaked`);
  return { value: valueHost as Float64Array, grad: rest.slice(0, g.length), hvp: rest.slice(g.length), kernels };
}

/** `||a - b||_2 / (||b||_2 + floor)` over all the arrays: the relative distance of `a` from `b`. */
export function relativeDistance(a: readonly Float64Array[], b: readonly Float64Array[], floor = 1e-3): number {
  let num = 0;
  let den = 0;
  b.forEach((bi, k) => {
    const ai = a[k] as Float64Array;
    if (ai.length !== bi.length) throw new Error(`relativeDistance: lengths ${ai.length} and ${bi.length}`);
    bi.forEach((y, i) => {
      num += ((ai[i] as number) - y) ** 2;
      den += y * y;
    });
  });
  return Math.sqrt(num) / (Math.sqrt(den) + floor);
}
