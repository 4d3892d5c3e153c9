import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AskTellOptimizer, type EvalResult, type SearchSpace, type Trial, asha, ashaRungs, hyperband, hyperbandBrackets, randomSearch, sampleConfig,
  validateSearchSpace,
} from '../../src/hpo/index.js';
import { mfHartmann, simulate } from '../../src/simulator/index.js';
import { seededRandom } from '../../src/util/random.js';

const space: SearchSpace = { x: { type: 'float', low: 0, high: 1 } };

describe('search spaces', () => {
  it('samples inside every domain (property), reproducibly under a seed', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 1000 }), fc.nat(10_000), (lo, span, seed) => {
      const s: SearchSpace = {
        f: { type: 'float', low: -lo, high: lo + span }, fl: { type: 'float', low: lo * 1e-3, high: (lo + span) * 1e-3, log: true },
        i: { type: 'int', low: lo, high: lo + span }, il: { type: 'int', low: lo, high: lo + span, log: true },
        c: { type: 'categorical', choices: ['a', 'b', 3] },
      };
      const a = sampleConfig(s, seededRandom(seed));
      expect(sampleConfig(s, seededRandom(seed))).toEqual(a);
      expect(a.f as number).toBeGreaterThanOrEqual(-lo);
      expect(a.f as number).toBeLessThanOrEqual(lo + span);
      expect(a.fl as number).toBeGreaterThanOrEqual(lo * 1e-3 * (1 - 1e-12));
      for (const k of ['i', 'il']) {
        expect(Number.isInteger(a[k])).toBe(true);
        expect(a[k] as number).toBeGreaterThanOrEqual(lo);
        expect(a[k] as number).toBeLessThanOrEqual(lo + span);
      }
      expect(['a', 'b', 3]).toContain(a.c);
    }), { numRuns: 200, seed: 1 });
  });

  it('errors name the parameter', () => {
    expect(() => validateSearchSpace({ lr: { type: 'float', low: 0, high: 1, log: true } })).toThrow(/searchSpace\.lr: a log-scale parameter needs low > 0, got 0/);
    expect(() => validateSearchSpace({ n: { type: 'int', low: 1.5, high: 3 } })).toThrow(/searchSpace\.n: an int parameter needs integer bounds/);
    expect(() => validateSearchSpace({ c: { type: 'categorical', choices: [] } })).toThrow(/searchSpace\.c: choices must be a non-empty array/);
    expect(() => validateSearchSpace({ z: { type: 'bool' } as never })).toThrow(/searchSpace\.z: type must be 'float', 'int' or 'categorical', got bool/);
  });

  it('random search is deterministic under a seed', () => {
    const a = randomSearch({ searchSpace: space, seed: 3 });
    const b = randomSearch({ searchSpace: space, seed: 3 });
    const c = randomSearch({ searchSpace: space, seed: 4 });
    const draw = (o: AskTellOptimizer) => Array.from({ length: 5 }, () => (o.ask() as Trial).config.x);
    const da = draw(a);
    expect(draw(b)).toEqual(da);
    expect(draw(c)).not.toEqual(da);
  });
});

describe('Hyperband', () => {
  it('brackets for R = 81, eta = 3 (Li et al. 2017, Table 1)', () => {
    const table = hyperbandBrackets(1, 81, 3).map((b) => [b.s, b.rounds.map((r) => [r.n, r.resource])]);
    expect(table).toEqual([
      [4, [[81, 1], [27, 3], [9, 9], [3, 27], [1, 81]]],
      [3, [[34, 3], [11, 9], [3, 27], [1, 81]]],
      [2, [[15, 9], [5, 27], [1, 81]]],
      [1, [[8, 27], [2, 81]]],
      [0, [[5, 81]]],
    ]);
  });

  it('halves synchronously: each round continues exactly the best 1/eta of the previous one', () => {
    const hb = hyperband({ searchSpace: space, minResource: 1, maxResource: 81, seed: 0 });
    const loss = (c: Trial) => Math.abs((c.config.x as number) - 0.3) + 1 / (c.fidelity as number);
    const byRound = new Map<number, Trial[]>();
    for (let i = 0; i < 81 + 27 + 9 + 3 + 1; i++) {
      const t = hb.ask() as Trial;
      byRound.set(t.fidelity as number, [...(byRound.get(t.fidelity as number) ?? []), t]);
      hb.tell(t, { loss: loss(t), runtime: 1 } as EvalResult);
    }
    expect([1, 3, 9, 27, 81].map((r) => byRound.get(r)?.length)).toEqual([81, 27, 9, 3, 1]);
    for (const [from, to, keep] of [[1, 3, 27], [3, 9, 9], [9, 27, 3], [27, 81, 1]] as const) {
      const best = [...(byRound.get(from) as Trial[])].sort((a, b) => loss(a) - loss(b)).slice(0, keep).map((t) => t.config.x).sort();
      expect((byRound.get(to) as Trial[]).map((t) => t.config.x).sort()).toEqual(best);
    }
    // The next ask opens bracket s = 3: 34 configurations at resource 3.
    expect((hb.ask() as Trial).fidelity).toBe(3);
  });

  it('opens the next bracket when the current round awaits results (parallel workers stay busy)', () => {
    const hb = hyperband({ searchSpace: space, minResource: 1, maxResource: 81 });
    const fids = Array.from({ length: 83 }, () => (hb.ask() as Trial).fidelity);
    expect(fids.slice(0, 81).every((f) => f === 1)).toBe(true);
    expect(fids.slice(81)).toEqual([3, 3]);
  });
});

describe('ASHA', () => {
  it('rungs at r eta^k', () => {
    expect(ashaRungs(1, 81, 3)).toEqual([1, 3, 9, 27, 81]);
    expect(ashaRungs(1, 52, 3)).toEqual([1, 3, 9, 27]);
  });

  /** Drives an ASHA with scripted losses per (config index, rung); returns the asks as 'c<i>@<fidelity>'. */
  const script = (variant: 'promotion' | 'stopping') => {
    const losses: Record<string, number> = { '0@1': 5, '0@3': 4, '0@9': 3, '1@1': 2, '1@3': 6, '2@1': 1, '2@3': 4, '3@1': 9 };
    const opt = asha({ searchSpace: space, minResource: 1, maxResource: 9, eta: 3, variant });
    const seen = new Map<unknown, number>();
    const asks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const t = opt.ask() as Trial;
      if (!seen.has(t.config.x)) seen.set(t.config.x, seen.size);
      const key = `${seen.get(t.config.x)}@${t.fidelity}`;
      asks.push(`c${key}`);
      opt.tell(t, { loss: losses[key] ?? 0, runtime: 1 } as EvalResult);
    }
    return asks;
  };

  it('promotion variant on a scripted sequence: few values (best only), top 1/eta, ties to the earlier result', () => {
    // rung 1 holds c0:4 then c2:4 (a tie): c0, recorded first, keeps the single top place.
    expect(script('promotion')).toEqual(['c0@1', 'c0@3', 'c0@9', 'c1@1', 'c1@3', 'c2@1', 'c2@3', 'c3@1']);
  });

  it('stopping variant: a trial continues only if it ranks in the top when its result arrives', () => {
    expect(script('stopping')).toEqual(['c0@1', 'c0@3', 'c0@9', 'c1@1', 'c1@3', 'c2@1', 'c2@3', 'c3@1']);
  });

  it('promotion differs from stopping: a paused trial is promoted later when the rung fills with worse ones', () => {
    const run = (variant: 'promotion' | 'stopping') => {
      const opt = asha({ searchSpace: space, minResource: 1, maxResource: 3, eta: 2, variant });
      const order: string[] = [];
      const ids = new Map<unknown, number>();
      const values = [1, 2, 5, 6, 7];
      for (let i = 0; i < 7; i++) {
        const t = opt.ask() as Trial;
        if (!ids.has(t.config.x)) ids.set(t.config.x, ids.size);
        const id = ids.get(t.config.x) as number;
        order.push(`c${id}@${t.fidelity}`);
        opt.tell(t, { loss: t.fidelity === 1 ? (values[id] ?? 9) : 0, runtime: 1 } as EvalResult);
      }
      return order;
    };
    // eta = 2, rungs [1, 2]. c1 (loss 2) reports when c0 (1) is the only one in the top: stopping
    // stops it for good; promotion promotes it once four values make the top two.
    expect(run('stopping')).not.toContain('c1@2');
    expect(run('promotion')).toContain('c1@2');
  });
});

describe('inside the simulator', () => {
  it('Hyperband and ASHA run on MFHartmann3 with continual fidelity', async () => {
    const bench = mfHartmann(3);
    for (const optimizer of [
      hyperband({ searchSpace: bench.searchSpace, minResource: 11, maxResource: 100 }),
      asha({ searchSpace: bench.searchSpace, minResource: 11, maxResource: 100 }),
    ]) {
      const { records } = await simulate({ objective: bench.objective, optimizer, nWorkers: 4, nEvals: 60, continualMaxFidelity: 100 });
      expect(records).toHaveLength(60);
      expect(new Set(records.map((r) => r.fidelity)).size).toBeGreaterThan(1);
    }
  });
});
