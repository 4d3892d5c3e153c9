import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/index.js';
import { type SearchSpace } from '../../src/hpo/index.js';
import { type Landscape, analyseLandscape, compareLandscapes, gridCoords, gridConfig, gridNeighbours, landscapeGrid, landscapeOf, randomWalkAutocorrelation, landscapeGraph } from '../../src/entries/landscape.js';

/** A landscape whose value at each grid point is `f(levels)`. */
function fromLevels(space: SearchSpace, levels: number, f: (coords: number[]) => number, name = 'constructed'): Landscape {
  const grid = landscapeGrid(space, { levels });
  return landscapeOf(grid, Array.from({ length: grid.size }, (_v, i) => f(gridCoords(grid, i))), { name });
}

const box = (dims: number): SearchSpace => Object.fromEntries(Array.from({ length: dims }, (_v, k) => [`x${k}`, { type: 'float' as const, low: 0, high: 1 }]));

describe('landscapes known by construction', () => {
  it('a separable convex function: one local optimum, one basin of every node, FDC 1 when the value is the distance', () => {
    const centre = [2, 1, 3];
    // f = Manhattan distance (in levels) to the centre: sum_k |l_k - c_k|, on a 5 x 5 x 5 grid.
    const l = fromLevels(box(3), 5, (c) => c.reduce((s, ck, k) => s + Math.abs(ck - (centre[k] as number)), 0));
    const { metrics, climb, distance } = analyseLandscape(l);
    expect(metrics.basins.localOptima).toBe(1);
    expect(metrics.basins.localOptimaShare).toBe(1 / 125);
    expect(metrics.basins.meanBasinSize).toBe(125);
    expect(metrics.basins.globalBasinShare).toBe(1);
    expect(metrics.basins.largestBasinShare).toBe(1);
    expect(metrics.fdc).toBe(1);
    // Each best-improvement move takes one step toward the optimum, so a climb is as long as the distance.
    expect(Array.from(climb.steps)).toEqual(Array.from(distance));
    expect(metrics.best.config).toEqual({ x0: 0.5, x1: 0.25, x2: 0.75 });
    expect(metrics.lon).toMatchObject({ nodes: 1, edges: 0, sinks: 1 });
    // A squared (still separable, convex) version: the same single optimum and basin.
    const sq = analyseLandscape(fromLevels(box(3), 5, (c) => c.reduce((s, ck, k) => s + (ck - (centre[k] as number)) ** 2, 0))).metrics;
    expect(sq.basins.localOptima).toBe(1);
    expect(sq.basins.globalBasinShare).toBe(1);
    expect(sq.fdc).toBeGreaterThan(0.9);
  });

  it('a constant landscape: neutrality 1, every node an optimum, FDC and autocorrelation undefined', () => {
    const { metrics } = analyseLandscape(fromLevels(box(2), 4, () => 0.25));
    expect(metrics.neutrality).toBe(1);
    expect(metrics.neutralityThreshold.epsilon).toBe(0);
    expect(metrics.basins.localOptimaShare).toBe(1);
    expect(metrics.globalOptima).toBe(16);
    expect(metrics.fdc).toBeNaN();
    expect(metrics.autocorrelation.rho).toBeNaN();
  });

  it('a needle in a haystack: the needle and every haystack node not beside it are optima', () => {
    const needle = [1, 2, 0];
    const l = fromLevels(box(3), 4, (c) => (c.every((ck, k) => ck === needle[k]) ? 0 : 1));
    const { metrics } = analyseLandscape(l);
    const deg = 2 + 2 + 1; // inside on x0 and x1 (two neighbours each), at an end of x2 (one)
    expect(metrics.basins.localOptima).toBe(1 + (64 - 1 - deg));
    expect(metrics.basins.globalBasinShare).toBe((1 + deg) / 64);
    // Pairs across the needle are the only non-neutral ones: 3 axes x 3 steps x 16 = 144 pairs.
    expect(metrics.neighbourPairs).toBe(144);
    expect(metrics.neutrality).toBe((144 - deg) / 144);
    expect(metrics.fdc).toBeGreaterThan(0);
  });

  it('a random landscape: lag-1 autocorrelation near 0 and a local-optima share near mean 1/(deg + 1)', () => {
    const rand = seededRandom(7);
    const l = fromLevels(box(5), 8, () => rand()); // 32,768 nodes, iid uniform values
    const lg = landscapeGraph(l);
    // Seed 3: 1000 walks of 20 moves, 20,000 lagged pairs: the estimate's sd is about 0.007.
    const ac = randomWalkAutocorrelation(lg, { seed: 3 });
    expect(Math.abs(ac.rho)).toBeLessThan(0.03);
    const { offsets } = lg.neighbours;
    // A node is an optimum iff it is the smallest of itself and its deg neighbours: probability 1/(deg + 1).
    let expected = 0;
    for (let i = 0; i < l.fitness.length; i++) expected += 1 / ((offsets[i + 1] as number) - (offsets[i] as number) + 1);
    const { metrics } = analyseLandscape(l);
    const count = metrics.basins.localOptima;
    // About 3,100 optima expected; allow 4 binomial standard deviations.
    expect(Math.abs(count - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(metrics.basins.localOptimaShare).toBeCloseTo(expected / 32768, 2);
  });

  it('a walk on a complete graph (one categorical axis of m values) has rho(1) = -1/(m - 1)', () => {
    // Moving to a uniformly drawn other value: E[(f_t - m)(f_t+1 - m)] = -Var f / (m - 1) exactly.
    const space: SearchSpace = { c: { type: 'categorical', choices: ['a', 'b', 'c', 'd', 'e'] } };
    const grid = landscapeGrid(space, { levels: 2 });
    const l = landscapeOf(grid, [0.1, 0.7, 0.3, 0.9, 0.2], { name: 'k5' });
    const ac = randomWalkAutocorrelation(landscapeGraph(l), { walks: 4000, length: 50, seed: 1 });
    expect(ac.rho).toBeCloseTo(-0.25, 1);
    expect(Math.abs(ac.rho + 0.25)).toBeLessThan(0.02);
  });

  it('two identical landscapes have similarity 1; a reversed one has Spearman and Kendall -1', () => {
    const rand = seededRandom(11);
    const a = fromLevels(box(3), 6, () => rand(), 'a');
    const same = compareLandscapes(a, landscapeOf(a.grid, a.fitness, { name: 'copy' }));
    expect(same).toMatchObject({ spearman: 1, kendall: 1, topOverlap: 1, shakeUp: 0, gamma: 0.1, n: 216 });
    const reversed = compareLandscapes(a, landscapeOf(a.grid, a.fitness.map((v) => -v), { name: 'reversed' }));
    expect(reversed.spearman).toBe(-1);
    expect(reversed.kendall).toBe(-1);
    expect(reversed.topOverlap).toBe(0);
    // The same values maximised rank configurations in reverse too.
    const maxed = compareLandscapes(a, landscapeOf(a.grid, a.fitness, { name: 'max', direction: 'maximize' }));
    expect(maxed.spearman).toBe(-1);
    expect(() => compareLandscapes(a, fromLevels(box(3), 5, () => 0))).toThrow(/different grids/);
  });

  it('categorical neighbours on a small mixed space, by hand', () => {
    const space: SearchSpace = {
      lr: { type: 'float', low: 1e-3, high: 1e-1, log: true },
      opt: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
      layers: { type: 'int', low: 1, high: 3 },
    };
    const grid = landscapeGrid(space, { levels: 3 });
    // Axes sorted by name: layers (1, 2, 3), lr (1e-3, 1e-2, 1e-1), opt (sgd, adam, rmsprop).
    expect(grid.axes.map((a) => [a.name, a.values])).toEqual([['layers', [1, 2, 3]], ['lr', [1e-3, 1e-2, 1e-1]], ['opt', ['sgd', 'adam', 'rmsprop']]]);
    expect(grid.size).toBe(27);
    const l = landscapeOf(grid, new Array(27).fill(0), { name: 'mixed' });
    const nb = gridNeighbours(l);
    const of = (i: number) => Array.from(nb.targets.subarray(nb.offsets[i] as number, nb.offsets[i + 1] as number)).map((j) => gridConfig(grid, j));
    // {layers 1, lr 1e-2, opt adam}: layers 2; lr 1e-3 and 1e-1; opt sgd and rmsprop (not layers 0 or 3).
    const centre = 0 * 9 + 1 * 3 + 1;
    expect(gridConfig(grid, centre)).toEqual({ layers: 1, lr: 1e-2, opt: 'adam' });
    const hand = [
      { layers: 1, lr: 1e-3, opt: 'adam' }, { layers: 1, lr: 1e-2, opt: 'sgd' }, { layers: 1, lr: 1e-2, opt: 'rmsprop' },
      { layers: 1, lr: 1e-1, opt: 'adam' }, { layers: 2, lr: 1e-2, opt: 'adam' },
    ];
    const key = (c: object) => JSON.stringify(c);
    expect(of(centre).map(key).sort()).toEqual(hand.map(key).sort());
    // Every node: 1-2 ordinal neighbours per numeric axis, 2 categorical ones.
    for (let i = 0; i < 27; i++) {
      const [la, lr] = gridCoords(grid, i) as [number, number, number];
      expect(of(i).length).toBe((la === 1 ? 2 : 1) + (lr === 1 ? 2 : 1) + 2);
    }
  });
});
