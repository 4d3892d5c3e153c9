import { describe, expect, it } from 'vitest';
import { tpe } from '../hpo/tpe.js';

/** Mean distance between two proposals asked back to back (no result in between), over seeds. */
function spread(constantLiar: boolean): number {
  let total = 0;
  for (let seed = 0; seed < 40; seed++) {
    const opt = tpe({ searchSpace: { x: { type: 'float', low: 0, high: 1 } }, seed, constantLiar, startupTrials: 10 });
    for (let i = 0; i < 20; i++) {
      const t = opt.ask() as { config: { x: number } };
      opt.tell(t, { loss: (t.config.x - 0.5) ** 2, runtime: 0 });
    }
    const a = opt.ask() as { config: { x: number } };
    const b = opt.ask() as { config: { x: number } };
    total += Math.abs(a.config.x - b.config.x);
  }
  return total / 40;
}

describe('TPE with a constant liar', () => {
  it('spreads proposals asked before their results arrive (the pending one counts as the worst)', () => {
    const liar = spread(true);
    const plain = spread(false);
    expect(liar).toBeGreaterThan(plain * 1.2);
  });
});
