import { DirectedGraph } from 'graphology';
import { parse } from 'graphology-graphml';
import { describe, expect, it } from 'vitest';
import { type SearchSpace } from '../../src/hpo/index.js';
import { type SimulationRecord, mfBranin } from '../../src/simulator/index.js';
import { analyseLandscape, gridCoords, landscapeFromJson, landscapeFromRecords, landscapeGrid, landscapeOf, landscapeToJson, buildLandscape, toGraphml, landscapeGraph, gridNeighbours } from '../../src/entries/landscape.js';

const box: SearchSpace = { x0: { type: 'float', low: 0, high: 1 }, x1: { type: 'float', low: 0, high: 1 } };

describe('landscape files', () => {
  it('the local optima network as GraphML, parsed back by graphology-graphml with the same nodes, edges and typed attributes', () => {
    const grid = landscapeGrid(box, { levels: 9 });
    // Two wells: local optima at both centres, escape edges between their basins.
    const l = landscapeOf(grid, Array.from({ length: grid.size }, (_v, i) => {
      const [a, b] = gridCoords(grid, i) as [number, number];
      return Math.min((a - 2) ** 2 + (b - 2) ** 2, 0.5 + (a - 5) ** 2 + (b - 6) ** 2);
    }), { name: 'two wells' });
    const { lon, metrics } = analyseLandscape(l, { lonRadius: 4 });
    expect(metrics.basins.localOptima).toBe(2);
    expect(lon.size).toBeGreaterThan(0);
    const xml = toGraphml(lon);
    expect(xml).toMatch(/<graph id="G" edgedefault="directed">/);
    const back = parse(DirectedGraph, xml);
    expect(back.order).toBe(lon.order);
    expect(back.size).toBe(lon.size);
    lon.forEachNode((k, a) => expect(back.getNodeAttributes(k)).toEqual(a));
    lon.forEachEdge((_e, a, s, t) => expect(back.getDirectedEdgeAttributes(s, t)).toEqual(a));
    expect(xml).toMatch(/attr.name="fitness" attr.type="double"/);
    expect(xml).toMatch(/attr.name="global" attr.type="boolean"/);
  });

  it('GraphML escapes markup in keys and values, and refuses what XML cannot hold', () => {
    const g = new DirectedGraph();
    g.addNode('a<&>"\'', { label: '<b> & "c"', n: 3 });
    g.addNode('b', { label: 'plain', n: 2.5 });
    g.addDirectedEdge('a<&>"\'', 'b', { w: 1 });
    const back = parse(DirectedGraph, toGraphml(g));
    expect(back.getNodeAttributes('a<&>"\'')).toEqual({ label: '<b> & "c"', n: 3 });
    expect(back.hasDirectedEdge('a<&>"\'', 'b')).toBe(true);
    g.setNodeAttribute('b', 'label', 'bell\u0007');
    expect(() => toGraphml(g)).toThrow(/control character/);
    g.setNodeAttribute('b', 'label', 4);
    expect(() => toGraphml(g)).toThrow(/attribute node.label mixes types/);
  });

  it('a landscape survives JSON', async () => {
    const l = await buildLandscape(mfBranin({ noise: false }), { levels: 5, fidelity: 50 });
    const back = landscapeFromJson(JSON.parse(JSON.stringify(landscapeToJson(l))));
    expect(back).toEqual(l);
    expect(l.name).toBe('mfbranin@50/loss');
    expect(() => landscapeFromJson({ format: 'other' })).toThrow(/not a landscape file/);
  });

  it("a landscape from a run's records: snapped to the grid, best value per cell, neighbours only among cells hit", () => {
    const rec = (x0: number, x1: number, loss: number, fidelity = 100): SimulationRecord => ({ cumtime: 0, workerIndex: 0, config: { x0, x1 }, fidelity, seed: 0, runtime: 1, values: { loss } });
    const records = [rec(0.02, 0.01, 3), rec(0.0, 0.04, 2), rec(0.49, 0.03, 5), rec(0.98, 0.97, 1), rec(0.5, 0.5, 9, 50)];
    const l = landscapeFromRecords(records, { searchSpace: box, levels: 3 });
    // Levels 0, 0.5, 1: cells (0,0) twice (best 2), (0.5,0) and (1,1); the fidelity-50 record is left out.
    expect(Array.from(l.nodes as Int32Array)).toEqual([0, 3, 8]);
    expect(Array.from(l.fitness)).toEqual([2, 5, 1]);
    expect(l.fidelity).toBe(100);
    const nb = gridNeighbours(l);
    expect(Array.from(nb.offsets)).toEqual([0, 1, 2, 2]); // (0,0) ~ (0.5,0); (1,1) alone
    expect(analyseLandscape(l).metrics.basins.localOptima).toBe(2);
    expect(() => landscapeFromRecords(records, { searchSpace: box, levels: 3, fidelity: 7 })).toThrow(/no record at fidelity 7; fidelities present: 100, 50/);
    expect(() => landscapeFromRecords([rec(2, 0, 1)], { searchSpace: { ...box, x0: { type: 'categorical', choices: [0, 1] } }, levels: 3 })).toThrow(/config.x0 is 2, not one of the choices/);
  });

  it('bad input gets a clear error', async () => {
    expect(() => landscapeGrid(box, { levels: 1 })).toThrow(/landscapeGrid: levels must be an integer in \[2, 1000\], got 1/);
    expect(() => landscapeGrid(box, { levels: { x0: 3, y: 2 } })).toThrow(/levels.x1 must be an integer/);
    expect(() => landscapeGrid({ ...box, x2: { type: 'float', low: 0, high: 1 }, x3: { type: 'float', low: 0, high: 1 } }, { levels: 1000 })).toThrow(/1000000000000 configurations is more than 2147483647; use fewer levels/);
    const grid = landscapeGrid(box, { levels: 2 });
    expect(() => landscapeOf(grid, [1, 2, 3], { name: 'short' })).toThrow(/needs 4 values/);
    expect(() => landscapeOf(grid, [1, 2, Number.NaN, 4], { name: 'nan' })).toThrow(/the loss of config \{"x0":1,"x1":0\} is NaN/);
    await expect(buildLandscape(mfBranin(), { levels: 3, fidelity: 5 })).rejects.toThrow(/evaluateGrid: fidelity must be a number in \[11, 100\], got 5/);
    await expect(buildLandscape(mfBranin(), { levels: 3, objective: 'acc' })).rejects.toThrow(/objective must be one of loss/);
    expect(() => landscapeGraph(landscapeOf(grid, [1, 2, 3, 4], { name: 'x', direction: 'up' as never }))).toThrow(/direction must be one of/);
  });
});
