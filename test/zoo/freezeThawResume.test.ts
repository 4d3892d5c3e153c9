import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OptimizerEvent, ReplayMismatchError, makeOptimizer, replayOptimizer } from '../../src/hpo/index.js';
import { simulate } from '../../src/simulator/index.js';
import { type ZooBenchmark, buildZooTable, zooBenchmark } from '../../src/zoo/index.js';
import { useBackend } from '../helpers/backends.js';

let zoo: ZooBenchmark;

/**
 * DyHPO and FMS keep no state that their history does not determine (seeded pools and
 * initialisations, fits run at the same asks), so they resume by replay like every other
 * optimizer: the same property as test/simulator/resume.test.ts, on a small zoo, through the
 * registry's `makeOptimizer` (the comparison's schedule: 50 + 5 Adam steps per observation).
 */
describe('dyhpo and fms resume exactly by replay', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    zoo = zooBenchmark({ table: buildZooTable({ seed: 3, models: 3, configsPerTask: { mirror: 8, rotated180: 2 } }) });
  });

  it('a run cut at any arrival and resumed gives the records of the uninterrupted run (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('dyhpo', 'fms', 'fms-stats'), fc.integer({ min: 1, max: 4 }), fc.nat(2 ** 32 - 1), fc.integer({ min: 6, max: 16 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      async (name, nWorkers, seed, nEvals, cut) => {
        const run = async (resumeFrom?: Parameters<typeof simulate>[0]['resumeFrom']) => {
          const optimizer = makeOptimizer(name, zoo, seed);
          try {
            return await simulate({
              objective: zoo.objective, optimizer, nWorkers, nEvals, seed, continualMaxFidelity: zoo.fidelity.max, chargeSamplingTime: false, ...(resumeFrom ? { resumeFrom } : {}),
            });
          } finally {
            optimizer.dispose?.();
          }
        };
        const before = tf.memory().numTensors;
        const full = await run();
        const resumed = await run(full.records.slice(0, Math.floor(cut * nEvals)));
        expect(resumed.records).toEqual(full.records);
        expect(tf.memory().numTensors).toBe(before);
      },
    ), { numRuns: 6, seed: 14 });
  });

  it('replayOptimizer rebuilds fms from a journal, and refuses one of another seed', async () => {
    const original = makeOptimizer('fms', zoo, 4);
    const history: OptimizerEvent[] = [];
    const pending: { trial: number; t: Awaited<ReturnType<typeof original.ask>> }[] = [];
    for (let i = 0; i < 8; i++) {
      const t = await original.ask();
      history.push({ type: 'ask', trial: i, config: t.config, ...(t.fidelity !== undefined ? { fidelity: t.fidelity } : {}) });
      pending.push({ trial: i, t });
      if (i % 3 !== 1) {
        // tell the oldest in flight: asks and tells interleave, two trials stay in flight at times
        const { trial, t: told } = pending.shift() as (typeof pending)[number];
        const result = await zoo.objective(told.config, { fidelity: told.fidelity, seed: trial });
        await original.tell(told, result);
        history.push({ type: 'tell', trial, result });
      }
    }
    const rebuilt = await replayOptimizer(makeOptimizer('fms', zoo, 4), history);
    expect([...rebuilt.inFlight.keys()]).toEqual(pending.map((p) => p.trial));
    for (const { trial, t } of pending) {
      const result = await zoo.objective(t.config, { fidelity: t.fidelity, seed: trial });
      await original.tell(t, result);
      await rebuilt.tell(trial, result);
    }
    for (let i = 0; i < 4; i++) {
      const a = await original.ask();
      const { event, trial: b } = await rebuilt.ask();
      expect([b.config, b.fidelity]).toEqual([a.config, a.fidelity]);
      const result = await zoo.objective(a.config, { fidelity: a.fidelity, seed: 100 + i });
      await original.tell(a, result);
      await rebuilt.tell(event.trial, result);
    }
    const other = makeOptimizer('fms', zoo, 5);
    await expect(replayOptimizer(other, history)).rejects.toThrow(ReplayMismatchError);
    for (const o of [original, rebuilt.optimizer, other]) o.dispose?.();
  });
});
