import { describe, expect, it } from 'vitest';
import { runCleaningDemo } from '../examples/browser/src/cleaningDemo.js';
import { initBackend } from '../src/index.js';
import { mnistSplits } from '../src/data/mnist.js';
import { DEVICE_READ_EVERY } from '../src/multilevel/unreadLosses.js';
import { countSyncReads } from './helpers/hostReads.js';

const CG_ITERATIONS = 10;
/**
 * The bounds per outer step: one synchronous read (CG's stopping flag, read every 5 iterations on
 * wasm: before iteration 5 of 10) and one asynchronous read (every update's loss and finiteness
 * counts, read together before the top-level update commits), however many inner steps. The
 * engine reads as often as it does on GPU backends (`readEvery` 256; on wasm it defaults to 8,
 * where a read waits for nothing).
 */
const SYNC_PER_OUTER_STEP = 1;
const ASYNC_PER_OUTER_STEP = 1;

describe('host reads on the hot path (counted on wasm: the same code on every backend, where webgpu and webgl read none synchronously)', () => {
  for (const [innerSteps, outerSteps] of [[30, 1], [60, 1], [30, 2]] as const) {
    it(`${outerSteps} outer step(s) of cg(${CG_ITERATIONS}) on hyper-cleaning (${innerSteps} inner steps): at most ${SYNC_PER_OUTER_STEP} synchronous and ${ASYNC_PER_OUTER_STEP} asynchronous read per outer step`, async () => {
      await initBackend('wasm');
      const [train, valid] = mnistSplits([200, 100], 0);
      const method = { method: 'cg', iterations: CG_ITERATIONS } as const;
      const reads = await countSyncReads(() => runCleaningDemo(train!, valid!, { outerSteps, innerSteps, method, readEvery: DEVICE_READ_EVERY }));
      // The demo reads its own validation loss (asynchronously, from examples/): what is bounded is the Engine's.
      const engineAsync = reads.asyncBySite.filter(([site]) => site.startsWith('src/')).reduce((s, [, n]) => s + n, 0);
      process.stderr.write(`[host reads] ${outerSteps} x ${innerSteps}: ${reads.total} synchronous ${JSON.stringify(reads.bySite)}, ` +
        `${reads.asyncTotal} asynchronous ${JSON.stringify(reads.asyncBySite)}\n`);
      expect(reads.total, JSON.stringify(reads.bySite)).toBeLessThanOrEqual(SYNC_PER_OUTER_STEP * outerSteps);
      expect(engineAsync, JSON.stringify(reads.asyncBySite)).toBeLessThanOrEqual(ASYNC_PER_OUTER_STEP * outerSteps);
      expect(reads.bySite.map(([site]) => site.replace(/:\d+$/, ''))).toEqual(['src/implicit/linearSolvers.ts']);
    });
  }
});
