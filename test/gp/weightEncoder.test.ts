import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDerivatives } from '../../src/index.js';
import { flatEncoder } from '../../src/gp/encoders/flatEncoder.js';
import { graphEncoder } from '../../src/gp/encoders/graphEncoder.js';
import { statisticsEncoder } from '../../src/gp/encoders/statisticsEncoder.js';
import { type WeightEncoder, weightEncoder } from '../../src/gp/encoders/weightEncoder.js';
import { type DenseWeights, type MlpWeights, weightGraph } from '../../src/gp/encoders/weightGraph.js';
import { type Tree, treeDispose } from '../../src/tree/tree.js';
import { seededRandom } from '../../src/util/random.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';

/** A random MLP checkpoint with layer sizes `sizes`. */
function randomMlp(sizes: number[], rand: () => number): DenseWeights[] {
  return sizes.slice(1).map((outDim, i) => {
    const inDim = sizes[i] as number;
    return { inDim, outDim, weights: Float32Array.from({ length: inDim * outDim }, () => rand() - 0.5), bias: Float32Array.from({ length: outDim }, () => 0.4 * (rand() - 0.5)) };
  });
}

/** Permutes the units of hidden layer `k` (1-based: the output of `layers[k - 1]`): its weight columns and bias, and the next layer's rows. */
function permuteHidden(w: MlpWeights, k: number, perm: number[]): DenseWeights[] {
  return w.map((l, i) => {
    if (i === k - 1) {
      const weights = new Float32Array(l.weights.length);
      for (let r = 0; r < l.inDim; r++) perm.forEach((p, j) => (weights[r * l.outDim + j] = l.weights[r * l.outDim + p] as number));
      return { ...l, weights, bias: Float32Array.from(perm, (p) => l.bias[p] as number) };
    }
    if (i === k) {
      const weights = new Float32Array(l.weights.length);
      perm.forEach((p, r) => weights.set(l.weights.subarray(p * l.outDim, (p + 1) * l.outDim), r * l.outDim));
      return { ...l, weights };
    }
    return l;
  });
}

const shuffled = (n: number, rand: () => number) => {
  const p = Array.from({ length: n }, (_v, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j] as number, p[i] as number];
  }
  return p;
};

function embed(enc: WeightEncoder<unknown>, params: Tree, ws: MlpWeights[]): Float32Array {
  return tf.tidy(() => enc.apply(params, ws.map((w) => enc.prepare(w))).dataSync() as Float32Array);
}

describe('weightGraph', () => {
  it('has a node per neuron, an edge per weight, biases on nodes and weights on edges', () => {
    const w = randomMlp([3, 2, 2], seededRandom(1));
    const g = weightGraph(w);
    expect(g.nodes).toBe(7);
    expect(g.src.length).toBe(3 * 2 + 2 * 2);
    // Edge 1 is input 0 -> hidden unit 1 with weight W1[0, 1]; node 4 (hidden unit 1) carries b1[1].
    expect([g.src[1], g.dst[1], g.weight[1]]).toEqual([0, 4, w[0]?.weights[1]]);
    expect(g.nodeFeatures[4 * 5]).toBe(w[0]?.bias[1]);
    expect(Array.from(g.nodeFeatures.subarray(0, 5))).toEqual([0, 1, 0, 0, 0]);
  });

  it('names the layer whose shapes disagree', () => {
    const w = randomMlp([3, 2, 2], seededRandom(1));
    expect(() => weightGraph([w[0] as DenseWeights, { ...(w[1] as DenseWeights), inDim: 3, weights: new Float32Array(6) }]))
      .toThrow('weightGraph: layers[1].inDim 3 differs from layers[0].outDim 2');
    expect(() => weightGraph([{ ...(w[0] as DenseWeights), bias: new Float32Array(1) }])).toThrow('weightGraph: layers[0].bias must have 2 entries, got 1');
  });
});

for (const backend of TEST_BACKENDS) {
  describe(`weight encoders on ${backend}`, () => {
    beforeAll(async () => useBackend(backend));

    it('the graph and statistics encoders are invariant to permuting hidden units; flattened weights are not', () => {
      const rand = seededRandom(5);
      const ws = [randomMlp([12, 7, 5, 10], rand), randomMlp([12, 6, 10], rand)];
      const permuted = [permuteHidden(permuteHidden(ws[0] as MlpWeights, 1, shuffled(7, rand)), 2, shuffled(5, rand)), permuteHidden(ws[1] as MlpWeights, 1, shuffled(6, rand))];
      for (const [name, enc, invariant] of [['graph', graphEncoder({ hidden: 8, layers: 2, out: 4 }), true], ['statistics', statisticsEncoder(), true], ['flat', flatEncoder({ length: 256 }), false]] as const) {
        const params = enc.init(seededRandom(2));
        const a = embed(enc as WeightEncoder<unknown>, params, ws);
        const b = embed(enc as WeightEncoder<unknown>, params, permuted);
        const scale = Math.max(...Array.from(a, Math.abs));
        const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - (b[i] as number))));
        if (invariant) expect(diff / scale, name).toBeLessThan(1e-5);
        else expect(diff / scale, name).toBeGreaterThan(1e-2);
        treeDispose(params);
      }
    });

    it('the graph encoder\'s gradient and Hessian-vector product match central differences', () => {
      const rand = seededRandom(9);
      const before = tf.memory().numTensors;
      // With tanh, which is smooth, so central differences are clean. With ReLU (the default) the
      // encoder has hundreds of kinks and the difference of the gradient jumps wherever one changes
      // sign between the difference points; the ReLU rule itself is checked in the rule table.
      for (const [activation, sizes, eps] of [['tanh', [[4, 3, 2], [4, 5, 3, 2]], undefined]] as const) {
        const enc = graphEncoder({ hidden: 4, layers: 2, out: 3, activation });
        const batch = sizes.map((s) => enc.prepare(randomMlp([...s], rand)));
        const params = enc.init(seededRandom(3));
        for (const seed of [0, 1]) {
          const r = checkDerivatives((p: Tree) => tf.sin(enc.apply(p, batch)), params, { seed, eps });
          expect(r.gradError, `${activation}, seed ${seed}`).toBeLessThan(1e-2);
          expect(r.hvpError, `${activation}, seed ${seed}`).toBeLessThan(1e-2);
        }
        treeDispose(params);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('the ablations\' gradients match central differences', () => {
      const rand = seededRandom(4);
      for (const options of [{ type: 'statistics' as const, out: 3, hidden: 5 }, { type: 'flat' as const, length: 40, out: 3 }]) {
        const enc = weightEncoder(options);
        const batch = [randomMlp([4, 3, 2], rand), randomMlp([4, 5, 3, 2], rand)].map((w) => enc.prepare(w));
        const params = enc.init(seededRandom(3));
        const r = checkDerivatives((p: Tree) => tf.sin(enc.apply(p, batch)), params, { eps: 2 ** -10 });
        expect(r.gradError, options.type).toBeLessThan(1e-2);
        expect(r.hvpError, options.type).toBeLessThan(1e-2);
        treeDispose(params);
      }
    });
  });
}
