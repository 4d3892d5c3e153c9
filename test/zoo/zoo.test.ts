import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { configRecord } from '../../src/zoo/fineTune.js';
import { type ZooTable, buildZooTable } from '../../src/zoo/zooBuild.js';
import { zooBenchmark } from '../../src/zoo/zooBenchmark.js';
import { readZooTable, writeZooTable } from '../../src/zoo/zooStore.js';
import { useBackend } from '../helpers/backends.js';

let table: ZooTable;
const small = { seed: 5, models: 2, configsPerTask: { mirror: 3, rotated180: 1 } };

describe('the model zoo', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    table = buildZooTable(small);
  });

  it('is built deterministically from its seed', () => {
    const again = buildZooTable(small);
    const strip = (t: ZooTable) => JSON.stringify({ p: t.pretrained, tasks: Object.fromEntries(Object.entries(t.tasks).map(([k, v]) => [k, { ...v, curves: v.curves.map((c) => c.map((e) => ({ ...e, seconds: 0 }))) }])) }, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
    expect(strip(again)).toBe(strip(table));
    expect(strip(buildZooTable({ ...small, seed: 6 }))).not.toBe(strip(table));
    expect(Object.keys(table.tasks)).toEqual(['mirror', 'rotated180']);
    expect(table.tasks.mirror?.checkpoints[0]).toHaveLength(10);
  });

  it('writes and reads back every curve value and checkpoint; names a non-finite value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zoo-'));
    writeZooTable(table, dir);
    const back = readZooTable(dir);
    expect(back.tasks.mirror?.curves).toEqual(table.tasks.mirror?.curves.map((c) => c.map((e) => ({ ...e }))));
    const a = back.tasks.mirror?.checkpoints[2]?.[4];
    const b = table.tasks.mirror?.checkpoints[2]?.[4];
    a?.forEach((l, i) => expect(Array.from(l.weights)).toEqual(Array.from(b?.[i]?.weights ?? [])));
    const json = JSON.parse(readFileSync(join(dir, 'zoo.json'), 'utf8'));
    json.tasks.mirror.curves[1][3][0] = null; // what JSON makes of NaN or Infinity
    writeFileSync(join(dir, 'zoo.json'), JSON.stringify(json));
    expect(() => readZooTable(dir)).toThrow('zoo: task mirror run 1 epoch 4 value 0 is null; the table must hold finite numbers');
  });

  it('replays the table: values at each epoch, cumulative runtimes, checkpoints, nearest entries', async () => {
    const zoo = zooBenchmark({ table });
    const c = zoo.candidates?.[1] as NonNullable<typeof zoo.candidates>[number];
    const run = table.tasks.mirror?.curves[1] as { validError: number; seconds: number }[];
    const r = await zoo.objective(c, { fidelity: 4, seed: 0 });
    expect(r.loss).toBe(run[3]?.validError);
    expect(r.runtime).toBeCloseTo(run.slice(0, 4).reduce((s, e) => s + e.seconds, 0), 12);
    expect(zoo.learningCurve(c, 3)).toEqual(run.slice(0, 3).map((e) => e.validError));
    expect(zoo.checkpoint(c, 0)).toBe(table.pretrained[c.model as number]);
    expect(zoo.checkpoint(c, 7)).toBe(table.tasks.mirror?.checkpoints[1]?.[6]);
    expect(zoo.finalLoss?.(c)).toBe(run[9]?.validError);
    const near = { ...c, learning_rate: (c.learning_rate as number) * 1.01 };
    const r2 = await zoo.objective(near, { fidelity: 2, seed: 0 });
    expect(r2.loss).toBe(run[1]?.validError);
    expect(r2.entry).toBe(1);
  });

  it('trains for real in live mode, reproducing the table run from the same seed', async () => {
    const before = tf.memory().numTensors;
    const live = zooBenchmark({ table, mode: 'live' });
    const i = 0;
    const c = configRecord(table.tasks.mirror?.configs[i] as never);
    const seed = table.tasks.mirror?.seeds[i] as number;
    for (const e of [1, 3]) {
      const r = await live.objective(c, { fidelity: e, seed });
      expect(r.loss).toBe(table.tasks.mirror?.curves[i]?.[e - 1]?.validError);
    }
    const w = live.checkpoint(c, 3);
    const ref = table.tasks.mirror?.checkpoints[i]?.[2];
    w.forEach((l, k) => l.weights.forEach((v, j) => expect(Math.abs(v - (ref?.[k]?.weights[j] as number))).toBeLessThan(1e-3 * Math.max(1, Math.abs(v)))));
    expect(() => live.checkpoint(c, 5)).toThrow(/has been trained 3 epochs, not 5; evaluate it at that fidelity first/);
    live.dispose?.();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a model index out of range, a fidelity past the last epoch, an unknown task', async () => {
    const zoo = zooBenchmark({ table });
    const c = zoo.candidates?.[0] as NonNullable<typeof zoo.candidates>[number];
    expect(() => zoo.objective({ ...c, model: 48 }, { fidelity: 1, seed: 0 })).toThrow('zoo: config.model must be an integer in [0, 47], got 48');
    expect(() => zoo.objective(c, { fidelity: 11, seed: 0 })).toThrow('zoo: fidelity (epoch) must be an integer in [1, 10], got 11');
    expect(() => zoo.checkpoint(c, 0.5)).toThrow('zoo: fidelity (epoch) must be an integer in [1, 10], got 0.5');
    expect(() => zoo.objective({ ...c, batch_size: 17 }, { fidelity: 1, seed: 0 })).toThrow('zoo: config.batch_size must be one of 16, 32, 64, 128, got 17');
    expect(() => zooBenchmark({ table, task: 'inverted' })).toThrow("zoo: the table has no runs of target task 'inverted'; it has mirror, rotated180");
    expect(() => zooBenchmark({ table, task: 'upside' })).toThrow("zoo: task must be one of 'mirror', 'rotated180', 'inverted', got 'upside'");
  });
});
