/**
 * Quickstart: gradients, Hessian-vector products and a check against finite differences, then
 * Newton-CG (Hessian-free) on L2-regularised logistic regression, against gradient descent.
 *
 * Run: `npm run example` (builds first). Prints the backend, the derivative checks and both
 * optimisers' losses per iteration.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  checkDerivatives, grad, hvp, initBackend, seededRandom, sigmoidCrossEntropy, treeAddScaled, treeDot, treeScale,
  treeSub, treeZerosLike,
} from '../src/index.js';

type Params = { w: tf.Tensor1D; b: tf.Scalar };

const backend = await initBackend();
console.log(`backend: ${backend}`);

// A synthetic binary classification problem (n = 512, d = 20), labels from a hidden linear model.
const rand = seededRandom(0);
const n = 512;
const d = 20;
const xs = tf.tensor2d(Array.from({ length: n * d }, () => rand() * 2 - 1), [n, d]);
const wTrue = tf.tensor1d(Array.from({ length: d }, () => rand() * 4 - 2));
const ys = tf.tidy(() => tf.cast(tf.greater(tf.squeeze(tf.matMul(xs, tf.reshape(wTrue, [d, 1]))), 0), 'float32'));
const lambda = 1e-2;

const loss = (p: Params) => tf.tidy(() => {
  const logits = tf.add(tf.squeeze(tf.matMul(xs, tf.reshape(p.w, [d, 1]))), p.b);
  return tf.add(sigmoidCrossEntropy(ys, logits), tf.mul(0.5 * lambda, tf.sum(tf.square(p.w))));
});

// 1. Derivatives, checked against central finite differences.
const p0: Params = { w: tf.randomNormal([d], 0, 0.1, 'float32', 1) as tf.Tensor1D, b: tf.scalar(0) };
const check = checkDerivatives((p: Params) => loss(p), p0);
console.log(`gradient vs finite differences: relative error ${check.gradError.toExponential(2)}`);
console.log(`Hessian-vector product vs finite differences: relative error ${check.hvpError.toExponential(2)}`);

// 2. Newton-CG: solve H s = -g by conjugate gradient with Hessian-vector products only.
function newtonStep(p: Params): Params {
  return tf.tidy(() => {
    const g = grad(loss)(p);
    let s = treeZerosLike(p);
    let r = treeScale(g, -1);
    let q = r;
    let rr = treeDot(r, r).dataSync()[0] as number;
    for (let k = 0; k < 10 && rr > 1e-12; k++) {
      const hq = hvp(loss, p, q);
      const alpha = rr / (treeDot(q, hq).dataSync()[0] as number);
      s = treeAddScaled(s, alpha, q);
      r = treeAddScaled(r, -alpha, hq);
      const rrNext = treeDot(r, r).dataSync()[0] as number;
      q = treeAddScaled(r, rrNext / rr, q);
      rr = rrNext;
    }
    return treeAddScaled(p, 1, s);
  });
}

let newton = p0;
let gd = p0;
console.log('iter  newton-cg loss  gradient-descent loss (lr 1)');
for (let it = 1; it <= 8; it++) {
  const nextNewton = newtonStep(newton);
  const nextGd = tf.tidy(() => treeSub(gd, grad(loss)(gd)));
  if (it > 1) tf.dispose([newton.w, newton.b, gd.w, gd.b]);
  newton = nextNewton;
  gd = nextGd;
  const ln = loss(newton).dataSync()[0] as number;
  const lg = loss(gd).dataSync()[0] as number;
  console.log(`${String(it).padStart(4)}  ${ln.toFixed(6).padStart(14)}  ${lg.toFixed(6).padStart(21)}`);
}
console.log(`live tensors at the end: ${tf.memory().numTensors}`);
