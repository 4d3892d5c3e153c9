import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../test/helpers/backends.js';
import { treeFlatten, treeMap, treeUnflatten } from './tree.js';
import {
  treeAdd, treeAddScaled, treeDot, treeFromVector, treeNorm, treeScale, treeSize, treeSub, treeToVector, treeZerosLike,
} from './treeMath.js';

beforeAll(async () => useBackend('cpu'));

const sample = () => ({ w: tf.tensor2d([[1, 2], [3, 4]]), layers: [tf.tensor([5]), { b: tf.tensor([6, 7]) }] });

describe('trees', () => {
  it('flatten orders leaves depth-first with sorted keys, and unflatten inverts it', () => {
    const t = sample();
    const { leaves, def } = treeFlatten(t);
    expect(leaves.map((l) => Array.from(l.dataSync()))).toEqual([[5], [6, 7], [1, 2, 3, 4]]);
    const back = treeUnflatten<typeof t>(def, leaves);
    expect(back.w).toBe(t.w);
    expect((back.layers[1] as { b: tf.Tensor }).b).toBe((t.layers[1] as { b: tf.Tensor }).b);
  });

  it('arithmetic: add, sub, scale, axpy, dot, norm, size, zerosLike', () => {
    const a = sample();
    const b = treeScale(sample(), 2);
    expect(treeAdd(a, b).w).toBeAllClose([3, 6, 9, 12]);
    expect(treeSub(a, b).layers[0]).toBeAllClose([-5]);
    expect(treeAddScaled(a, -0.5, b).w).toBeAllClose([0, 0, 0, 0]);
    const sumSq = 1 + 4 + 9 + 16 + 25 + 36 + 49;
    expect(treeDot(a, b)).toBeAllClose([2 * sumSq]);
    expect(treeNorm(a)).toBeAllClose([Math.sqrt(sumSq)]);
    expect(treeSize(a)).toBe(7);
    expect(treeZerosLike(a).w).toBeAllClose([0, 0, 0, 0]);
  });

  it('toVector and fromVector round-trip on random structures (property)', () => {
    const leafShape = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 });
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leafShape,
        fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), tie('node'), { minKeys: 1, maxKeys: 3 }),
      ),
    })).node;
    const build = (spec: unknown, k: { i: number }): unknown => {
      if (Array.isArray(spec) && spec.every((d) => typeof d === 'number')) {
        const n = (spec as number[]).reduce((p, q) => p * q, 1);
        return tf.tensor(Array.from({ length: n }, () => k.i++), spec as number[]);
      }
      if (Array.isArray(spec)) return spec.map((s) => build(s, k));
      return Object.fromEntries(Object.entries(spec as object).map(([key, s]) => [key, build(s, k)]));
    };
    fc.assert(fc.property(tree, (spec) => {
      tf.tidy(() => {
        const t = build(spec, { i: 0 }) as Parameters<typeof treeToVector>[0];
        const v = treeToVector(t);
        expect(Array.from(v.dataSync())).toEqual(Array.from({ length: v.size }, (_x, i) => i).sort((p, q) => p - q).map((_x, i) => treeFlatten(t).leaves.flatMap((l) => Array.from(l.dataSync()))[i]));
        const back = treeFromVector(v, t);
        treeMap((p, q) => {
          expect(p).toBeAllClose(q);
          return p;
        }, t, back);
      });
    }), { numRuns: 40, seed: 5 });
  });

  it('structure mismatches are clear errors', () => {
    expect(() => treeAdd({ a: tf.scalar(1) }, { b: tf.scalar(1) })).toThrow(/tree 1 has structure \{b: \*\}, expected \{a: \*\}/);
    expect(() => treeAdd([tf.zeros([2])], [tf.zeros([3])])).toThrow(/leaf 0 of tree 1 has shape \[3\], expected \[2\]/);
    expect(() => treeFlatten({ a: 3 } as never)).toThrow(/tree\.a: expected a tf\.Tensor.*got a number/);
    expect(() => treeFromVector(tf.zeros([3]), { a: tf.zeros([2]) })).toThrow(/expected \[2\]/);
  });
});
