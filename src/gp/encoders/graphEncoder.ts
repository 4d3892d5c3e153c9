import * as tf from '@tensorflow/tfjs-core';
import type { Tree } from '../../tree/tree.js';
import { checkInteger, checkOneOf } from '../../util/validate.js';
import { type Dense, dense, initDense, initWeights } from '../extractors/dense.js';
import { gatherRows, unsortedSegmentSum } from './segmentSum.js';
import type { WeightEncoder } from './weightEncoder.js';
import { type GraphBatch, type MlpWeights, NODE_FEATURES, type WeightGraph, batchGraphs, weightGraph } from './weightGraph.js';

/** Options of {@link graphEncoder}. */
export interface GraphEncoderOptions {
  /** Width of the node states; default 8. */
  hidden?: number;
  /** Message-passing layers; default 2. */
  layers?: number;
  /** Embedding dimension; default 4. */
  out?: number;
  /** The nonlinearity of messages and updates; default `relu` (as graph metanetworks). */
  activation?: 'relu' | 'tanh';
}

/** One message-passing layer's parameters. */
type MessageLayer = {
  /** Forward messages (reader -> fed unit): source and destination projections, edge projection (its last row the bias). */
  fwdSrc: tf.Tensor2D; fwdDst: tf.Tensor2D; fwdEdge: tf.Tensor2D;
  /** Backward messages (fed unit -> reader). */
  bwdSrc: tf.Tensor2D; bwdDst: tf.Tensor2D; bwdEdge: tf.Tensor2D;
  /** The node update. */
  self: Dense; fromFwd: tf.Tensor2D; fromBwd: tf.Tensor2D;
};

type Params = { embed: Dense; layers: MessageLayer[]; readout: Dense };

/**
 * A permutation-invariant encoder of MLP checkpoints: message passing on the network's graph
 * ({@link weightGraph}; FMS's graph metanetwork, Mehta et al. 2024, after Lim et al. 2024). With
 * node states `h` (initialised from the node features by a dense layer), each layer sends along
 * every edge `e = (u -> v)` with weight `w_e`
 *
 * `m_e = relu(A h_u + B h_v + C [w_e, |w_e|, 1])` to `v`, and `m'_e = relu(A' h_v + B' h_u + C' [w_e, |w_e|, 1])` to `u`,
 *
 * averages what arrives (`gather` of node states by edge, `unsortedSegmentSum` by node, divided
 * by the degree), and updates `h_v <- h_v + relu(U h_v + V mean_in(m) + V' mean_out(m') + b)`.
 * The embedding is a dense layer of the mean of the node states over each graph. Every step
 * treats the units of a layer alike and every aggregation is a sum, so permuting hidden units
 * (with their weights) leaves the embedding unchanged (`test/gp/weightEncoder.test.ts`).
 * @example
 * ```ts
 * const enc = graphEncoder({ hidden: 8, layers: 2, out: 4 });
 * const z = enc.apply(enc.init(rand), checkpoints.map(enc.prepare)); // [n, 4]
 * ```
 */
export function graphEncoder({ hidden = 8, layers = 2, out = 4, activation = 'relu' }: GraphEncoderOptions = {}): WeightEncoder<WeightGraph> {
  checkInteger('graphEncoder', 'hidden', hidden, { min: 1 });
  checkInteger('graphEncoder', 'layers', layers, { min: 0 });
  checkInteger('graphEncoder', 'out', out, { min: 1 });
  const act = checkOneOf('graphEncoder', 'activation', activation, ['relu', 'tanh'] as const) === 'relu' ? tf.relu : tf.tanh;
  const H = hidden;
  const square = (rand: () => number) => initWeights(H, H, rand);
  return {
    dim: out,
    prepare: (w: MlpWeights) => weightGraph(w),
    init: (rand) => ({
      embed: initDense(NODE_FEATURES, H, rand),
      layers: Array.from({ length: layers }, () => ({
        fwdSrc: square(rand), fwdDst: square(rand), fwdEdge: initWeights(3, H, rand),
        bwdSrc: square(rand), bwdDst: square(rand), bwdEdge: initWeights(3, H, rand),
        self: initDense(H, H, rand), fromFwd: square(rand), fromBwd: square(rand),
      })),
      readout: initDense(H, out, rand),
    }) as unknown as Tree,
    apply: (params, graphs) => encodeBatch(params as unknown as Params, batchGraphs(graphs), act),
  };
}

/** The embeddings `[graphs, out]` of a batch of graphs. */
function encodeBatch(p: Params, g: GraphBatch, act: (x: tf.Tensor) => tf.Tensor): tf.Tensor2D {
  const E = g.src.length;
  const src = tf.tensor1d(g.src, 'int32');
  const dst = tf.tensor1d(g.dst, 'int32');
  // [w, |w|, 1] per edge: one matMul gives the edge term and the message bias.
  const edgeFeatures = tf.tensor2d(Float32Array.from({ length: 3 * E }, (_v, i) => {
    const w = g.weight[Math.floor(i / 3)] as number;
    return i % 3 === 0 ? w : i % 3 === 1 ? Math.abs(w) : 1;
  }), [E, 3]);
  const invIn = tf.tensor2d(g.inverseInDegree, [g.nodes, 1]);
  const invOut = tf.tensor2d(g.inverseOutDegree, [g.nodes, 1]);
  let h = act(dense(p.embed, tf.tensor2d(g.nodeFeatures, [g.nodes, NODE_FEATURES]))) as tf.Tensor2D;
  for (const l of p.layers) {
    // Project node states once per node, then gather per edge (cheaper than projecting per edge).
    const fwd = act(tf.addN([gatherRows(tf.matMul(h, l.fwdSrc), src), gatherRows(tf.matMul(h, l.fwdDst), dst), tf.matMul(edgeFeatures, l.fwdEdge)]));
    const bwd = act(tf.addN([gatherRows(tf.matMul(h, l.bwdSrc), dst), gatherRows(tf.matMul(h, l.bwdDst), src), tf.matMul(edgeFeatures, l.bwdEdge)]));
    const meanIn = tf.mul(unsortedSegmentSum(fwd, dst, g.nodes), invIn) as tf.Tensor2D;
    const meanOut = tf.mul(unsortedSegmentSum(bwd, src, g.nodes), invOut) as tf.Tensor2D;
    h = tf.add(h, act(tf.add(tf.add(dense(l.self, h), tf.matMul(meanIn, l.fromFwd)), tf.matMul(meanOut, l.fromBwd)))) as tf.Tensor2D;
  }
  const pooled = tf.mul(unsortedSegmentSum(h, tf.tensor1d(g.nodeGraph, 'int32'), g.graphs), tf.tensor2d(g.inverseGraphSize, [g.graphs, 1])) as tf.Tensor2D;
  return dense(p.readout, pooled);
}
