import * as tf from '@tensorflow/tfjs-core';
import { vjpOrSweep } from '../tape.js';
import { RecordedPath } from './forwardSweep.js';

/**
 * Forward mode on hypergrad's tape: the Jacobian-vector products `sum_i (d ys_j / d xs_i) ts_i` of
 * `ys = f()`, one per output, by recording `f` and pushing the tangents `ts` (shaped like `xs`)
 * through the recorded kernels' tangent rules. Returns them with the kernels on the path (in tape
 * order, identity links left out), which the tangent rules' tests check. Throws, naming the kernel,
 * where a kernel on the path has no tangent rule.
 *
 * @example
 * ```ts
 * const x = tf.tensor([0, 1]);
 * jvpOnTape(() => [tf.exp(x)], [x], [tf.ones([2])]).tangents; // [exp(x)]
 * ```
 */
export function jvpOnTape(f: () => tf.Tensor[], xs: readonly tf.Tensor[], ts: readonly tf.Tensor[]): { tangents: tf.Tensor[]; kernels: string[] } {
  const kernels: string[] = [];
  const tangents = vjpOrSweep(f, xs, null, (nodes, ys, tape, start) => {
    const path = new RecordedPath(nodes, tape, start);
    const obstacle = path.obstacle();
    if (obstacle !== null) throw new Error(`hypergrad: forward mode cannot run: ${obstacle}`);
    for (const node of nodes) if (node.passThrough !== true) kernels.push(node.kernelName);
    return path.push(xs, ts, ys);
  });
  return { tangents, kernels };
}
