import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AskTellOptimizer, type EvalResult, type OptimizerEvent, ReplayMismatchError, type Trial, makeOptimizer, replayOptimizer } from '../../src/hpo/index.js';
import { mfHartmann } from '../../src/simulator/index.js';

const bench = mfHartmann(3);
const NAMES = ['random', 'hyperband', 'asha', 'bohb', 'tpe'] as const;

/**
 * Drives `opt` with an arbitrary interleaving (`plan[i]`: ask a new trial, or tell the in-flight
 * trial chosen by `picks[i]`), logging the journal a storage would hold.
 */
async function drive(opt: AskTellOptimizer, plan: readonly boolean[], picks: readonly number[]): Promise<{ history: OptimizerEvent[]; inFlight: Map<number, Trial> }> {
  const history: OptimizerEvent[] = [];
  const inFlight = new Map<number, Trial>();
  let next = 0;
  for (const [i, ask] of plan.entries()) {
    if (ask || inFlight.size === 0) {
      const trial = await opt.ask();
      inFlight.set(next, trial);
      history.push({ type: 'ask', trial: next++, config: trial.config, ...(trial.fidelity !== undefined ? { fidelity: trial.fidelity } : {}) });
    } else {
      const ids = [...inFlight.keys()];
      const id = ids[(picks[i] ?? 0) % ids.length] as number;
      const trial = inFlight.get(id) as Trial;
      inFlight.delete(id);
      const result = (await bench.objective(trial.config, { fidelity: trial.fidelity, seed: id })) as EvalResult;
      await opt.tell(trial, result);
      history.push({ type: 'tell', trial: id, result });
    }
  }
  return { history, inFlight };
}

describe('replayOptimizer: any optimizer rebuilt from its journal of asks and tells', () => {
  it('decides exactly as the original afterwards, for any interleaving (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...NAMES), fc.nat(2 ** 32 - 1), fc.array(fc.boolean(), { minLength: 1, maxLength: 120 }), fc.array(fc.nat(50), { maxLength: 120 }),
      async (name, seed, plan, picks) => {
        const original = makeOptimizer(name, bench, seed);
        const { history, inFlight } = await drive(original, plan, picks);
        const rebuilt = await replayOptimizer(makeOptimizer(name, bench, seed), history);
        expect([...rebuilt.inFlight.keys()].sort()).toEqual([...inFlight.keys()].sort());
        expect(rebuilt.nextTrial).toBe(history.filter((e) => e.type === 'ask').length);
        // both go on identically: tell what is in flight (oldest first), then ask 20 more
        for (const [id, trial] of inFlight) {
          const result = (await bench.objective(trial.config, { fidelity: trial.fidelity, seed: id })) as EvalResult;
          await original.tell(trial, result);
          await rebuilt.apply({ type: 'tell', trial: id, result });
        }
        for (let i = 0; i < 20; i++) {
          const a = await original.ask();
          const { event, trial: b } = await rebuilt.ask();
          expect([b.config, b.fidelity]).toEqual([a.config, a.fidelity]);
          expect(event.trial).toBe(history.filter((e) => e.type === 'ask').length + i);
          const result = (await bench.objective(a.config, { fidelity: a.fidelity, seed: i })) as EvalResult;
          await original.tell(a, result);
          expect(await rebuilt.tell(event.trial, result)).toEqual({ type: 'tell', trial: event.trial, result });
        }
      },
    ), { numRuns: 100, seed: 5 });
  });

  it('refuses a journal that does not come from the optimizer, and malformed journals', async () => {
    const { history } = await drive(makeOptimizer('asha', bench, 1), [true, true, false, true, false], [0, 0, 0, 0, 0]);
    await expect(replayOptimizer(makeOptimizer('asha', bench, 2), history)).rejects.toThrow(ReplayMismatchError);
    await expect(replayOptimizer(makeOptimizer('asha', bench, 1), [{ type: 'tell', trial: 0, result: { loss: 1, runtime: 1 } }]))
      .rejects.toThrow(/tell of trial 0, which is not in flight/);
    await expect(replayOptimizer(makeOptimizer('asha', bench, 1), [{ ...(history[0] as OptimizerEvent), trial: 3 } as OptimizerEvent]))
      .rejects.toThrow(/ask of trial 3 where trial 0 comes next/);
  });

  it('re-runs self-evaluating trials and checks their values', async () => {
    let state = 0;
    const selfEvaluating = (): AskTellOptimizer => {
      state = 0;
      return { ask: () => ({ config: { k: state }, evaluate: () => ({ loss: ++state, runtime: 9 }) }), tell: () => {} };
    };
    const history: OptimizerEvent[] = [{ type: 'ask', trial: 0, config: { k: 0 } }, { type: 'tell', trial: 0, result: { loss: 1, runtime: 5 } }, { type: 'ask', trial: 1, config: { k: 1 } }];
    const r = await replayOptimizer(selfEvaluating(), history);
    expect(state).toBe(2); // both evaluations re-run, in order
    expect(r.inFlight.size).toBe(1);
    const wrong: OptimizerEvent[] = [history[0] as OptimizerEvent, { type: 'tell', trial: 0, result: { loss: 7, runtime: 5 } }];
    await expect(replayOptimizer(selfEvaluating(), wrong)).rejects.toThrow(/re-run to rebuild the optimizer and gave \{"loss":1\}, not the recorded \{"loss":7\}/);
  });
});
