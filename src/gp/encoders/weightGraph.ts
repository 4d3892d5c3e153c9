import { checkInteger } from '../../util/validate.js';

/** One dense layer of a checkpoint: `y = act(x W + b)`, `W` row-major `[inDim, outDim]`. */
export interface DenseWeights {
  /** `W`, row-major `[inDim, outDim]`. */
  weights: Float32Array;
  /** `b`, `outDim` entries. */
  bias: Float32Array;
  /** Inputs of the layer. */
  inDim: number;
  /** Outputs (units) of the layer. */
  outDim: number;
}

/** A multilayer perceptron's checkpoint: its dense layers, input to output. */
export type MlpWeights = readonly DenseWeights[];

/** Node features of a {@link WeightGraph}: `[bias, isInput, isHidden, isOutput, depth / L]`. */
export const NODE_FEATURES = 5;

/**
 * A network as a graph (Kofinas et al. 2024; Lim et al. 2024's graph metanetworks): one node
 * per neuron, one directed edge per weight (from the unit it reads to the unit it feeds), the
 * weight as the edge's feature, the bias (0 for an input) and the neuron's layer as the node's.
 * Hidden units of a layer are interchangeable: permuting them (with their weights) permutes
 * nodes and edges and leaves the graph the same, which a message-passing encoder with symmetric
 * aggregation turns into an invariant embedding.
 */
export interface WeightGraph {
  /** Number of nodes (neurons, the inputs included). */
  nodes: number;
  /** Node features, row-major `[nodes, NODE_FEATURES]`. */
  nodeFeatures: Float32Array;
  /** Edge sources (the reading unit's node index). */
  src: Int32Array;
  /** Edge destinations (the fed unit's node index). */
  dst: Int32Array;
  /** Edge features: the weights. */
  weight: Float32Array;
}

/** Checks a checkpoint's layer shapes: consecutive, and arrays of the stated sizes. */
export function checkMlpWeights(who: string, w: MlpWeights): void {
  if (!Array.isArray(w) || w.length === 0) throw new Error(`${who}: a checkpoint must be a non-empty array of dense layers`);
  w.forEach((l, i) => {
    checkInteger(who, `layers[${i}].inDim`, l.inDim, { min: 1 });
    checkInteger(who, `layers[${i}].outDim`, l.outDim, { min: 1 });
    if (l.weights.length !== l.inDim * l.outDim) throw new Error(`${who}: layers[${i}].weights must have ${l.inDim} x ${l.outDim} entries, got ${l.weights.length}`);
    if (l.bias.length !== l.outDim) throw new Error(`${who}: layers[${i}].bias must have ${l.outDim} entries, got ${l.bias.length}`);
    if (i > 0 && l.inDim !== (w[i - 1] as DenseWeights).outDim) throw new Error(`${who}: layers[${i}].inDim ${l.inDim} differs from layers[${i - 1}].outDim ${(w[i - 1] as DenseWeights).outDim}`);
  });
}

/** The graph of one checkpoint (see {@link WeightGraph}). */
export function weightGraph(w: MlpWeights): WeightGraph {
  checkMlpWeights('weightGraph', w);
  const L = w.length;
  const sizes = [(w[0] as DenseWeights).inDim, ...w.map((l) => l.outDim)];
  const offsets: number[] = [];
  let nodes = 0;
  for (const s of sizes) {
    offsets.push(nodes);
    nodes += s;
  }
  const nodeFeatures = new Float32Array(nodes * NODE_FEATURES);
  sizes.forEach((s, l) => {
    for (let u = 0; u < s; u++) {
      const row = ((offsets[l] as number) + u) * NODE_FEATURES;
      nodeFeatures[row] = l === 0 ? 0 : ((w[l - 1] as DenseWeights).bias[u] as number);
      nodeFeatures[row + (l === 0 ? 1 : l === L ? 3 : 2)] = 1;
      nodeFeatures[row + 4] = l / L;
    }
  });
  const edges = w.reduce((s, l) => s + l.inDim * l.outDim, 0);
  const src = new Int32Array(edges);
  const dst = new Int32Array(edges);
  const weight = new Float32Array(edges);
  let e = 0;
  w.forEach((layer, l) => {
    for (let i = 0; i < layer.inDim; i++) {
      for (let j = 0; j < layer.outDim; j++, e++) {
        src[e] = (offsets[l] as number) + i;
        dst[e] = (offsets[l + 1] as number) + j;
        weight[e] = layer.weights[i * layer.outDim + j] as number;
      }
    }
  });
  return { nodes, nodeFeatures, src, dst, weight };
}

/** Several graphs as one disjoint union, with each node's graph and the degrees message passing normalizes by. */
export interface GraphBatch extends WeightGraph {
  /** Number of graphs. */
  graphs: number;
  /** The graph of each node. */
  nodeGraph: Int32Array;
  /** `1 / max(1, in-degree)` per node. */
  inverseInDegree: Float32Array;
  /** `1 / max(1, out-degree)` per node. */
  inverseOutDegree: Float32Array;
  /** `1 / nodes` per graph (mean pooling). */
  inverseGraphSize: Float32Array;
}

/** The disjoint union of `graphs` (node indices offset graph by graph). */
export function batchGraphs(graphs: readonly WeightGraph[]): GraphBatch {
  if (graphs.length === 0) throw new Error('batchGraphs: needs at least one graph');
  const nodes = graphs.reduce((s, g) => s + g.nodes, 0);
  const edges = graphs.reduce((s, g) => s + g.src.length, 0);
  const out: GraphBatch = {
    nodes, graphs: graphs.length, nodeFeatures: new Float32Array(nodes * NODE_FEATURES), src: new Int32Array(edges), dst: new Int32Array(edges),
    weight: new Float32Array(edges), nodeGraph: new Int32Array(nodes), inverseInDegree: new Float32Array(nodes), inverseOutDegree: new Float32Array(nodes),
    inverseGraphSize: new Float32Array(graphs.length),
  };
  let n0 = 0;
  let e0 = 0;
  graphs.forEach((g, k) => {
    out.nodeFeatures.set(g.nodeFeatures, n0 * NODE_FEATURES);
    out.weight.set(g.weight, e0);
    for (let e = 0; e < g.src.length; e++) {
      out.src[e0 + e] = n0 + (g.src[e] as number);
      out.dst[e0 + e] = n0 + (g.dst[e] as number);
    }
    out.nodeGraph.fill(k, n0, n0 + g.nodes);
    out.inverseGraphSize[k] = 1 / g.nodes;
    n0 += g.nodes;
    e0 += g.src.length;
  });
  const inDeg = new Float32Array(nodes);
  const outDeg = new Float32Array(nodes);
  for (let e = 0; e < edges; e++) {
    inDeg[out.dst[e] as number] = (inDeg[out.dst[e] as number] as number) + 1;
    outDeg[out.src[e] as number] = (outDeg[out.src[e] as number] as number) + 1;
  }
  for (let v = 0; v < nodes; v++) {
    out.inverseInDegree[v] = 1 / Math.max(1, inDeg[v] as number);
    out.inverseOutDegree[v] = 1 / Math.max(1, outDeg[v] as number);
  }
  return out;
}
