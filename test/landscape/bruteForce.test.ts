import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/index.js';
import { type Config, type SearchSpace } from '../../src/hpo/index.js';
import { analyseLandscape, compareLandscapes, gridConfig, landscapeGrid, landscapeOf, landscapeGraph, randomWalkAutocorrelation } from '../../src/entries/landscape.js';

// A small mixed space, its levels written out by hand: 3 x 3 x 3 = 27 configurations.
const space: SearchSpace = {
  layers: { type: 'int', low: 1, high: 3 },
  lr: { type: 'float', low: 1e-3, high: 1e-1, log: true },
  opt: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
};
const LEVELS: Record<string, (number | string)[]> = { layers: [1, 2, 3], lr: [1e-3, 1e-2, 1e-1], opt: ['sgd', 'adam', 'rmsprop'] };
const configs: Config[] = [];
for (const layers of LEVELS.layers as number[]) for (const lr of LEVELS.lr as number[]) for (const opt of LEVELS.opt as string[]) configs.push({ layers, lr, opt });

/** Grid distance by its definition: level differences on numeric axes, 0/1 on the categorical one. */
function dist(a: Config, b: Config): number {
  const lv = (k: string, c: Config) => (LEVELS[k] as (number | string)[]).indexOf(c[k] as number | string);
  return Math.abs(lv('layers', a) - lv('layers', b)) + Math.abs(lv('lr', a) - lv('lr', b)) + (a.opt === b.opt ? 0 : 1);
}
const isNeighbour = (a: Config, b: Config) => dist(a, b) === 1;

function ranks(x: number[]): number[] {
  return x.map((v) => 1 + x.filter((w) => w < v).length + (x.filter((w) => w === v).length - 1) / 2);
}
function pearsonBrute(a: number[], b: number[]): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  const cov = a.reduce((s, v, i) => s + (v - ma) * ((b[i] as number) - mb), 0);
  return cov / Math.sqrt(a.reduce((s, v) => s + (v - ma) ** 2, 0) * b.reduce((s, v) => s + (v - mb) ** 2, 0));
}
const spearmanBrute = (a: number[], b: number[]) => pearsonBrute(ranks(a), ranks(b));

describe('landscape metrics against a direct brute-force computation', () => {
  const rand = seededRandom(5);
  // Values on steps of 0.05 plus a jitter below 1e-6: distinct (no ties on the climbs), and pairs on
  // the same step are neutral at 1% of the range (about 0.01).
  const valueOf = new Map(configs.map((c) => [JSON.stringify(c), Math.round(rand() * 20) / 20 + rand() * 1e-6]));
  const f = (c: Config) => valueOf.get(JSON.stringify(c)) as number;
  const grid = landscapeGrid(space, { levels: 3 });
  const l = landscapeOf(grid, Array.from({ length: grid.size }, (_v, i) => f(gridConfig(grid, i))), { name: 'small' });
  const { metrics, lon } = analyseLandscape(l, { lonRadius: 2 });

  it('neighbours, local optima, basins and climb lengths', () => {
    const better = (c: Config) => configs.filter((d) => isNeighbour(c, d) && f(d) < f(c));
    const optima = configs.filter((c) => better(c).length === 0);
    const climb = (c: Config): [Config, number] => {
      let cur = c;
      let steps = 0;
      for (;;) {
        const b = better(cur).sort((x, y) => f(x) - f(y))[0];
        if (b === undefined) return [cur, steps];
        cur = b;
        steps++;
      }
    };
    const best = configs.reduce((m, c) => (f(c) < f(m) ? c : m));
    const ends = configs.map((c) => climb(c));
    const pairs = configs.flatMap((a, i) => configs.slice(i + 1).filter((b) => isNeighbour(a, b)).map((b) => [a, b] as const));
    expect(metrics.neighbourPairs).toBe(pairs.length);
    expect(metrics.basins.localOptima).toBe(optima.length);
    expect(metrics.basins.localOptimaShare).toBeCloseTo(optima.length / 27, 12);
    expect(metrics.basins.globalBasinShare).toBeCloseTo(ends.filter(([o]) => o === best).length / 27, 12);
    expect(metrics.basins.meanWalkLength).toBeCloseTo(ends.reduce((s, [, k]) => s + k, 0) / 27, 12);
    expect(metrics.best.config).toEqual(best);
    // Local optima network with escape edges, radius 2: weights by enumeration of the balls.
    const key = (c: Config) => JSON.stringify(c);
    const edges = new Map<string, number>();
    for (const o of optima) {
      const ball = configs.filter((x) => dist(x, o) >= 1 && dist(x, o) <= 2);
      for (const x of ball) {
        const [end] = climb(x);
        if (end !== o) edges.set(`${key(o)} -> ${key(end)}`, (edges.get(`${key(o)} -> ${key(end)}`) ?? 0) + 1);
      }
    }
    const got = new Map<string, number>();
    lon.forEachEdge((_e, a, s, t) => got.set(`${lon.getNodeAttribute(s, 'config')} -> ${lon.getNodeAttribute(t, 'config')}`, a.weight));
    expect(got).toEqual(edges);
    expect(lon.order).toBe(optima.length);
  });

  it('FDC, neutrality and NDC', () => {
    const best = configs.reduce((m, c) => (f(c) < f(m) ? c : m));
    const d = configs.map((c) => dist(c, best));
    expect(metrics.fdc).toBeCloseTo(spearmanBrute(configs.map(f), d), 12);
    const vals = configs.map(f);
    const eps = 0.01 * (Math.max(...vals) - Math.min(...vals));
    const pairs = configs.flatMap((a, i) => configs.slice(i + 1).filter((b) => isNeighbour(a, b)).map((b) => [a, b] as const));
    const neutralPairs = pairs.filter(([a, b]) => Math.abs(f(a) - f(b)) <= eps).length;
    expect(neutralPairs).toBeGreaterThan(0); // the rounding makes some pairs neutral
    expect(metrics.neutrality).toBeCloseTo(neutralPairs / pairs.length, 12);
    const perNode = configs.map((c) => {
      const nb = configs.filter((x) => isNeighbour(c, x));
      return nb.filter((x) => Math.abs(f(x) - f(c)) <= eps).length / nb.length;
    });
    expect(metrics.ndc).toBeCloseTo(spearmanBrute(perNode, d), 12);
  });

  it('comparisons: Spearman, Kendall, top-gamma overlap and rank shake-up', () => {
    const g = (c: Config) => f(c) + 0.3 * Math.sin(7 * (c.layers as number) + Math.log(c.lr as number));
    const other = landscapeOf(grid, Array.from({ length: grid.size }, (_v, i) => g(gridConfig(grid, i))), { name: 'other' });
    const s = compareLandscapes(l, other, { gamma: 0.2 });
    const a = configs.map(f);
    const b = configs.map(g);
    expect(s.spearman).toBeCloseTo(spearmanBrute(a, b), 12);
    let conc = 0;
    for (let i = 0; i < 27; i++) for (let j = i + 1; j < 27; j++) conc += Math.sign(((a[i] as number) - (a[j] as number)) * ((b[i] as number) - (b[j] as number)));
    expect(s.kendall).toBeCloseTo(conc / ((27 * 26) / 2), 12); // no ties
    const k = Math.ceil(0.2 * 27);
    const top = (x: number[]) => x.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]).slice(0, k).map(([, i]) => i);
    const ta = top(a);
    const tb = new Set(top(b));
    expect(s.topOverlap).toBeCloseTo(ta.filter((i) => tb.has(i)).length / k, 12);
    const ra = ranks(a);
    const rb = ranks(b);
    expect(s.shakeUp).toBeCloseTo(ta.reduce((m, i) => m + Math.abs((ra[i] as number) - (rb[i] as number)), 0) / k / 27, 12);
  });

  it('random-walk autocorrelation on a regular graph approaches its stationary value', () => {
    // Only categorical axes: every node has 2 + 3 + 4 = 9 neighbours, so a walk from a uniform node
    // stays uniform and rho(1) -> sum_{u ~ v} (f_u - m)(f_v - m) / (9 sum_u (f_u - m)^2).
    const cat: SearchSpace = { a: { type: 'categorical', choices: [0, 1, 2] }, b: { type: 'categorical', choices: [0, 1, 2, 3] }, c: { type: 'categorical', choices: [0, 1, 2, 3, 4] } };
    const cg = landscapeGrid(cat, { levels: 2 });
    const r = seededRandom(9);
    const cfgs = Array.from({ length: cg.size }, (_v, i) => gridConfig(cg, i));
    const vals = cfgs.map((c) => (c.a as number) + 0.5 * (c.b as number) + r());
    const m = vals.reduce((s, v) => s + v, 0) / vals.length;
    let num = 0;
    let den = 0;
    cfgs.forEach((c, i) => {
      den += ((vals[i] as number) - m) ** 2;
      cfgs.forEach((e, j) => {
        const diff = (['a', 'b', 'c'] as const).filter((k) => c[k] !== e[k]).length;
        if (diff === 1) num += ((vals[i] as number) - m) * ((vals[j] as number) - m) / 9;
      });
    });
    const ac = randomWalkAutocorrelation(landscapeGraph(landscapeOf(cg, vals, { name: 'regular' })), { walks: 3000, length: 40, seed: 2 });
    expect(Math.abs(ac.rho - num / den)).toBeLessThan(0.02);
    expect(ac.correlationLength).toBeCloseTo(-1 / Math.log(Math.abs(ac.rho)), 12);
  });
});
