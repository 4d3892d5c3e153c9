import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../../src/cli/program.js';

/** Runs `hypergrad hpo` in-process from the CLI's command table; returns its exit code and outputs. */
async function hpo(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(s), true) }) as unknown as NodeJS.WritableStream;
  const code = await runCli(['hpo', ...args, '--progress', 'off'], { out: sink((s) => (out += s)), err: sink((s) => (err += s)) }, COMMANDS);
  return { code, out, err };
}

describe('hypergrad hpo --benchmark zoo', () => {
  it('reports regret and the forecasts\' Kendall tau at 50% and 100% of the budget, tested against dyhpo, and writes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-zoo-'));
    // 0.00006 simulated hours: about 9 mean epochs of time per worker, 36 epochs in all.
    const r = await hpo('--benchmark', 'zoo', '--optimizer', 'random,dyhpo', '--seeds', '2', '--max-time', '0.00006', '--out', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/optimizer\s+regret@50%\s+regret@100%\s+tau@50%\s+tau@100%/);
    expect(r.out).toMatch(/^random\s+(\d\.\d{4}|none)\s+\d\.\d{4}\s+-\s+-\s+[\d.]+ \/ [\d.]+/m);
    expect(r.out).toMatch(/^dyhpo\s+\d\.\d{4}\s+\d\.\d{4}\s+-?\d\.\d{3}\s+-?\d\.\d{3}\s+- \/ -/m);
    expect(r.out).toMatch(/paper \(Mehta et al\. 2024\), Kendall tau fms \/ dyhpo: small-CNN hub 0\.92 \/ 0\.77/);
    const files = readdirSync(join(dir, 'zoo'));
    expect(files).toEqual(expect.arrayContaining(['zoo-summary.json', 'regret.svg', 'regret.png', 'dyhpo-seed1.jsonl']));
    const summary = JSON.parse(readFileSync(join(dir, 'zoo', 'zoo-summary.json'), 'utf8'));
    expect(summary.perSeed.dyhpo).toHaveLength(2);
    expect(summary.perSeed.dyhpo[0].full.tau).toBeGreaterThan(-1);
    expect(summary.perSeed.random[0].half.tauLastValue).toBeDefined();
  });

  it('names what is wrong: fms on a benchmark without checkpoints, an unknown zoo task', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-zoo-bad-'));
    expect((await hpo('--benchmark', 'mfbranin', '--optimizer', 'fms', '--evals', '5', '--seeds', '1', '--out', dir)).err)
      .toMatch(/optimizer 'fms' reads checkpoint weights; use it with a benchmark that reports them \(zoo\), not 'mfbranin'/);
    expect(readdirSync(dir)).toEqual([]); // refused before the run folder is made: a corrected rerun is not blocked
    expect((await hpo('--benchmark', 'zoo:upside', '--optimizer', 'random')).err).toMatch(/zoo: task must be one of 'mirror', 'rotated180', 'inverted', got 'upside'/);
  });
});
