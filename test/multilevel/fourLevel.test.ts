import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends.js';
import { fourLevelEngine, referenceFourLevel, solveA } from './fourLevel.js';
import { relErr } from './ridge.js';
import { solveB } from './threeLevel.js';

describe('4-level chain: implicit methods at both middle levels', () => {
  beforeAll(async () => useBackend('wasm'));
  it('the top-level hypergradient matches central differences of the whole nested solve (cg at every level)', () => {
    const d0 = [0.5, -0.3];
    const ref = referenceFourLevel(d0);
    const a = solveA(d0);
    const { b, c } = solveB(a);
    const r = fourLevelEngine({ method: 'cg', iterations: 2 }, { method: 'cg', iterations: 3 }, { method: 'cg', iterations: 3 });
    r.D.setParams(tf.tensor1d(d0));
    r.A.setParams(tf.tensor1d(a));
    r.B.setParams(tf.tensor1d(b));
    r.C.setParams(tf.tensor1d(c));
    const g = r.engine.hypergradient<tf.Tensor>('D');
    expect(relErr(g.dataSync(), ref)).toBeLessThan(1e-2);
    g.dispose();
    r.dispose();
    // Control: the same program with the bottom levels' responses ignored (firstOrder at B) is off.
    const off = fourLevelEngine({ method: 'cg', iterations: 2 }, { method: 'firstOrder' }, { method: 'cg', iterations: 3 });
    off.D.setParams(tf.tensor1d(d0));
    off.A.setParams(tf.tensor1d(a));
    off.B.setParams(tf.tensor1d(b));
    off.C.setParams(tf.tensor1d(c));
    const wrong = off.engine.hypergradient<tf.Tensor>('D');
    expect(relErr(wrong.dataSync(), ref)).toBeGreaterThan(5e-2);
    wrong.dispose();
    off.dispose();
  });
});
