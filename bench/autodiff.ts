import { autodiffAnchorBench } from './autodiffAnchor.js';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, hvp, initBackend, softmaxCrossEntropy, valueAndGrad } from '../src/index.js';
import { matMulThroughputBench } from './matMulThroughput.js';
import { report, timeMs } from './report.js';

type Mlp = { w1: tf.Tensor2D; b1: tf.Tensor1D; w2: tf.Tensor2D; b2: tf.Tensor1D };

/**
 * A hand-written backward pass of the same MLP (tanh hidden layer, softmax cross-entropy), with
 * plain matMuls of explicitly transposed operands: the baseline a tfjs user would write by hand.
 */
function handGrad(p: Mlp, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor[] {
  return tf.tidy(() => {
    const h = tf.tanh(tf.add(tf.matMul(x, p.w1), p.b1));
    const z = tf.add(tf.matMul(h, p.w2), p.b2);
    const dz = tf.div(tf.sub(tf.softmax(z), y), x.shape[0]);
    const dw2 = tf.matMul(tf.transpose(h), dz);
    const db2 = tf.sum(dz, 0);
    const dh = tf.mul(tf.matMul(dz, tf.transpose(p.w2)), tf.sub(1, tf.square(h)));
    return [tf.matMul(tf.transpose(x), dh), tf.sum(dh, 0), dw2, db2];
  });
}

/** hvp vs grad on a 784-256-10 MLP (batch 128), grad vs hand-written backprop, and op dispatch cost. */
export async function autodiffBench(): Promise<void> {
  for (const backend of ['wasm', 'cpu'] as BackendName[]) {
    await initBackend(backend);
    const reps = backend === 'cpu' ? 3 : 10;
    const p: Mlp = {
      w1: tf.randomNormal([784, 256], 0, 0.05, 'float32', 1), b1: tf.zeros([256]),
      w2: tf.randomNormal([256, 10], 0, 0.05, 'float32', 2), b2: tf.zeros([10]),
    };
    const x = tf.randomNormal([128, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
    const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 4) as tf.Tensor1D, 10) as tf.Tensor2D;
    const loss = (q: Mlp) => softmaxCrossEntropy(y, tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, q.w1), q.b1)), q.w2), q.b2));
    const v: Mlp = {
      w1: tf.randomNormal([784, 256], 0, 1, 'float32', 5), b1: tf.randomNormal([256], 0, 1, 'float32', 6),
      w2: tf.randomNormal([256, 10], 0, 1, 'float32', 7), b2: tf.randomNormal([10], 0, 1, 'float32', 8),
    };
    const caseName = `mlp-784-256-10-b128/${backend}`;
    const gradMs = timeMs(() => {
      const r = valueAndGrad(loss)(p);
      tf.dispose([r.value, r.grads]);
    }, reps);
    const handMs = timeMs(() => tf.dispose(handGrad(p, x, y)), reps);
    const hvpMs = timeMs(() => tf.dispose(hvp(loss, p, v)), reps);
    report({ bench: 'autodiff', case: caseName, metric: 'grad', value: gradMs, unit: 'ms', baseline: handMs });
    report({ bench: 'autodiff', case: caseName, metric: 'hvp', value: hvpMs, unit: 'ms', baseline: gradMs });

    const n = 5000;
    const a = tf.scalar(1);
    const dispatchMs = timeMs(() => {
      tf.tidy(() => {
        let s = a;
        for (let i = 0; i < n; i++) s = tf.add(s, a);
      });
    }, 5, 1);
    report({ bench: 'autodiff', case: `dispatch/${backend}`, metric: 'op-dispatch', value: (dispatchMs * 1000) / n, unit: 'us' });
    if (backend === 'wasm') matMulThroughputBench(); // tfjs-wasm vs OpenBLAS matMul, same run
    tf.dispose([p.w1, p.b1, p.w2, p.b2, x, y, v.w1, v.b1, v.w2, v.b2, a]);
  }
  await autodiffAnchorBench(); // issue 19: step and HVP against hand-written tfjs, ReLU MLP, wasm
}
