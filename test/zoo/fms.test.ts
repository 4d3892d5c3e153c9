import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fms } from '../../src/hpo/fms.js';
import { simulate } from '../../src/simulator/simulate.js';
import type { Config } from '../../src/hpo/types.js';
import { type ZooTable, buildZooTable } from '../../src/zoo/zooBuild.js';
import { zooBenchmark, zooTransferRuns } from '../../src/zoo/zooBenchmark.js';
import { useBackend } from '../helpers/backends.js';

let table: ZooTable;

describe('fms on a small zoo', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    table = buildZooTable({ seed: 1, models: 3, configsPerTask: { mirror: 8, rotated180: 3 } });
  });

  it('reads the checkpoint each observation had (epoch b - 1 for budget b), competes on the simulator, leaks nothing', async () => {
    const zoo = zooBenchmark({ table });
    const asked: number[] = [];
    const checkpoints = (c: Config, e: number) => {
      asked.push(e);
      return zoo.checkpoint(c, e);
    };
    for (const weights of [{ type: 'graph' as const }, { type: 'statistics' as const }, { type: 'flat' as const, length: 512 }]) {
      const opt = fms({ searchSpace: zoo.searchSpace, maxResource: 10, candidates: zoo.candidates, checkpoints, weights, seed: 2, fitSteps: 10, refitSteps: 2 });
      const { records } = await simulate({ objective: zoo.objective, optimizer: opt, nWorkers: 1, nEvals: 12, continualMaxFidelity: 10, chargeSamplingTime: false });
      // One epoch at a time: each record's fidelity is one more than that config's previous record.
      const last = new Map<string, number>();
      for (const r of records) {
        const k = JSON.stringify(r.config);
        expect(r.fidelity, weights.type).toBe((last.get(k) ?? 0) + 1);
        last.set(k, r.fidelity as number);
      }
      expect(Math.max(...asked)).toBeLessThanOrEqual(9);
      expect(asked).toContain(0);
      const steady = tf.memory().numTensors;
      opt.tell(opt.ask(), { loss: 0.5, runtime: 1 });
      const t = opt.ask();
      opt.tell(t, await zoo.objective(t.config, { fidelity: t.fidelity, seed: 0 }));
      expect(tf.memory().numTensors, weights.type).toBe(steady);
      expect(opt.stats().randomFallbacks).toBe(0);
      const f = opt.forecast(zoo.candidates?.slice(0, 4) ?? []);
      expect(f.every(Number.isFinite)).toBe(true);
      opt.dispose();
    }
  });

  it('transfers: the surrogate is first fitted on the other target task\'s runs', () => {
    const zoo = zooBenchmark({ table });
    const runs = zooTransferRuns(table, 'mirror');
    expect(runs).toHaveLength(3);
    expect(runs[0]?.checkpoints).toHaveLength(10);
    expect(runs[0]?.checkpoints?.[0]).toBe(table.pretrained[runs[0]?.config.model as number]);
    const opt = fms({ searchSpace: zoo.searchSpace, maxResource: 10, candidates: zoo.candidates, checkpoints: zoo.checkpoint, seed: 0, fitSteps: 5, initialRandom: 1, transfer: { runs, steps: 5, batch: 16 } });
    const t = opt.ask();
    opt.tell(t, { loss: 0.4, runtime: 1 });
    opt.ask();
    expect(opt.stats().transferObservations).toBe(30);
    opt.dispose();
  });
});
