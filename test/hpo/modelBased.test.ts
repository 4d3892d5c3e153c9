import { describe, expect, it } from 'vitest';
import { type AskTellOptimizer, type EvalResult, type FloatParam, type IntParam, type SearchSpace, type Trial, bohb, hyperband, randomSearch, tpe } from '../../src/hpo/index.js';
import { parzen } from '../../src/hpo/parzen.js';
import { tpeGamma, tpeSplit } from '../../src/hpo/tpe.js';
import { seededRandom } from '../../src/util/random.js';

const space2: SearchSpace = { x: { type: 'float', low: -5, high: 5 }, y: { type: 'float', low: 1e-3, high: 10, log: true } };
const quad = (c: Trial['config']) => ((c.x as number) - 1.5) ** 2 + (Math.log10(c.y as number) - 0.5) ** 2;

/** Best loss after n sequential ask/tell steps. */
function bestAfter(opt: AskTellOptimizer, n: number, f: (c: Trial['config']) => number): number {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t = opt.ask() as Trial;
    const v = f(t.config);
    best = Math.min(best, v);
    opt.tell(t, { loss: v, runtime: 1 } as EvalResult);
  }
  return best;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('TPE', () => {
  it("gamma is Optuna's min(ceil(0.1 n), 25) and the split takes the best gamma(n), ties to the earlier", () => {
    expect([1, 10, 11, 100, 250, 1000].map(tpeGamma)).toEqual([1, 1, 2, 10, 25, 25]);
    const obs = [5, 1, 3, 1, 9, 2, 8, 7, 6, 4, 0.5].map((value, i) => ({ value, i }));
    const { good, bad } = tpeSplit(obs);
    expect(good.map((o) => o.i)).toEqual([10, 1]); // n = 11 -> 2 good: 0.5, then the first of the tied 1s
    expect(bad).toHaveLength(9);
  });

  it('Parzen densities integrate to 1 over their bounds (numeric and log-scale), samples stay inside', () => {
    const r = seededRandom(0);
    const params: (FloatParam | IntParam)[] = [space2.x as FloatParam, space2.y as FloatParam, { type: 'int', low: 1, high: 9 }];
    for (const p of params) {
      const lo = p.type === 'float' && p.log ? Math.log(p.low) : p.low - (p.type === 'int' ? 0.5 : 0);
      const hi = p.type === 'float' && p.log ? Math.log(p.high) : p.high + (p.type === 'int' ? 0.5 : 0);
      const obs = Array.from({ length: 7 }, () => lo + (hi - lo) * r());
      const est = parzen(p, obs);
      const n = 20_000;
      let integral = 0;
      for (let i = 0; i < n; i++) integral += Math.exp(est.logDensity(lo + ((i + 0.5) * (hi - lo)) / n)) * ((hi - lo) / n);
      expect(integral).toBeCloseTo(1, 3);
      for (let i = 0; i < 200; i++) {
        const x = est.sample(r);
        expect(x).toBeGreaterThanOrEqual(lo);
        expect(x).toBeLessThanOrEqual(hi);
      }
    }
    const cat = parzen({ type: 'categorical', choices: ['a', 'b', 'c'] }, [0, 0, 2]);
    expect([0, 1, 2].reduce((s, i) => s + Math.exp(cat.logDensity(i)), 0)).toBeCloseTo(1, 10);
  });

  it('is deterministic under a seed and starts like random search', () => {
    const asks = (o: AskTellOptimizer) => Array.from({ length: 12 }, () => {
      const t = o.ask() as Trial;
      o.tell(t, { loss: quad(t.config), runtime: 1 } as EvalResult);
      return t.config;
    });
    const a = asks(tpe({ searchSpace: space2, seed: 5 }));
    expect(asks(tpe({ searchSpace: space2, seed: 5 }))).toEqual(a);
    expect(asks(randomSearch({ searchSpace: space2, seed: 5 })).slice(0, 10)).toEqual(a.slice(0, 10));
  });

  it('finds a better optimum than random search in the median over 9 seeds (60 evaluations)', () => {
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const t = median(seeds.map((s) => bestAfter(tpe({ searchSpace: space2, seed: s }), 60, quad)));
    const r = median(seeds.map((s) => bestAfter(randomSearch({ searchSpace: space2, seed: s }), 60, quad)));
    expect(t).toBeLessThan(r);
  });
});

describe('BOHB', () => {
  it("keeps Hyperband's schedule exactly (the same fidelities in the same order)", () => {
    const run = (o: AskTellOptimizer) => Array.from({ length: 200 }, () => {
      const t = o.ask() as Trial;
      o.tell(t, { loss: quad(t.config), runtime: 1 } as EvalResult);
      return t.fidelity;
    });
    const opts = { searchSpace: space2, minResource: 1, maxResource: 27 };
    expect(run(bohb(opts))).toEqual(run(hyperband(opts)));
  });

  it('proposes closer to the optimum than random once a budget has enough observations', () => {
    const opts = { searchSpace: space2, minResource: 1, maxResource: 27, seed: 2 };
    const opt = bohb(opts);
    const first: Trial[] = [];
    // the first bracket (s = 3): 27 + 9 + 3 + 1 evaluations
    for (let i = 0; i < 40; i++) {
      const t = opt.ask() as Trial;
      first.push(t);
      opt.tell(t, { loss: quad(t.config), runtime: 1 } as EvalResult);
    }
    const next = Array.from({ length: 12 }, () => opt.ask() as Trial); // bracket s = 2, model-based (two thirds)
    const meanLoss = (ts: Trial[]) => ts.reduce((s, t) => s + quad(t.config), 0) / ts.length;
    expect(meanLoss(next)).toBeLessThan(meanLoss(first.slice(0, 27)));
  });
});
