import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AskTellOptimizer, type EvalResult, type Trial, asha } from '../../src/hpo/index.js';
import { mfHartmann, simulate } from '../../src/simulator/index.js';
import { ashaSorted } from './reference/ashaSorted.js';

const bench = mfHartmann(3);

/** Sequential ask/tell on MFHartmann3 (noisy, rounded to 2 decimals so that ties happen); the asks as 'fidelity:config'. */
async function asks(opt: AskTellOptimizer, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = (await opt.ask()) as Trial;
    out.push(`${t.fidelity}:${JSON.stringify(t.config)}`);
    const r = (await bench.objective(t.config, { fidelity: t.fidelity, seed: i })) as EvalResult;
    await opt.tell(t, { ...r, loss: Math.round(r.loss * 100) / 100 });
  }
  return out;
}

describe('ASHA with incremental rungs takes exactly the decisions of the sorting algorithm', () => {
  it('sequentially: seeds, eta and both variants (property), 1,500 evaluations each', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(2 ** 31), fc.constantFrom(2, 3, 4), fc.constantFrom('promotion' as const, 'stopping' as const), async (seed, eta, variant) => {
      const o = { searchSpace: bench.searchSpace, minResource: 11, maxResource: 100, eta, variant, seed };
      expect(await asks(asha(o), 1500)).toEqual(await asks(ashaSorted(o), 1500));
    }), { numRuns: 8, seed: 12 });
  });

  it('inside the simulator (asynchronous arrivals, continual fidelity): seeds 0-3 with 1, 4 and 16 workers, 1,000 results', async () => {
    for (const seed of [0, 1, 2, 3]) {
      for (const nWorkers of [1, 4, 16]) {
        const o = { searchSpace: bench.searchSpace, minResource: 11, maxResource: 100, seed };
        const run = (optimizer: AskTellOptimizer) => simulate({ objective: bench.objective, optimizer, nWorkers, nEvals: 1000, seed, continualMaxFidelity: 100, chargeSamplingTime: false });
        expect((await run(asha(o))).records).toEqual((await run(ashaSorted(o))).records);
      }
    }
  });
});
