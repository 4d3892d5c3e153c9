import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends.js';
import { hypergradientAt } from '../helpers/multilevel.js';
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
    const values = { D: d0, A: a, B: b, C: c };
    const g = hypergradientAt(fourLevelEngine({ method: 'cg', iterations: 2 }, { method: 'cg', iterations: 3 }, { method: 'cg', iterations: 3 }), values, 'D');
    expect(relErr(g, ref)).toBeLessThan(1e-2);
    // Control: the same program with the bottom levels' responses ignored (firstOrder at B) is off.
    const wrong = hypergradientAt(fourLevelEngine({ method: 'cg', iterations: 2 }, { method: 'firstOrder' }, { method: 'cg', iterations: 3 }), values, 'D');
    expect(relErr(wrong, ref)).toBeGreaterThan(5e-2);
  });
});
