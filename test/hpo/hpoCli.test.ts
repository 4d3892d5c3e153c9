import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/simulator/index.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
const hpo = (...a: string[]) => spawnSync(process.execPath, [bin, 'hpo', ...a], { encoding: 'utf8' });

describe.skipIf(!existsSync(bin))('hypergrad hpo: the bounds the library enforces', () => {
  it('--evals and --max-time both bound a run (--evals 10 --max-time 1000 ran 4,000 evaluations)', () => {
    const out = mkdtempSync(join(tmpdir(), 'hg-hpo-bounds-'));
    const r = hpo('--benchmark', 'mfbranin', '--optimizer', 'random,asha', '--evals', '10', '--max-time', '1000', '--seeds', '1', '--out', out);
    expect(r.status).toBe(0);
    for (const name of ['random', 'asha']) expect(readFileSync(join(out, 'mfbranin', `${name}-seed0.jsonl`), 'utf8').trim().split('\n')).toHaveLength(10);
    const timeOnly = hpo('--benchmark', 'mfbranin', '--optimizer', 'random', '--max-time', '10', '--seeds', '1', '--out', join(out, 't'));
    expect(timeOnly.status).toBe(0);
    const records = readRecords(join(out, 't', 'mfbranin', 'random-seed0.jsonl'));
    expect(records.every((x) => x.cumtime <= 36_000)).toBe(true);
    expect(records[0]?.run).toMatchObject({ seed: 0, optimizer: 'random', benchmark: 'mfbranin' });
  });

  it('--workers beyond the bound is a clear error, not an abort or a hang', () => {
    for (const w of ['1e9', '1000000']) {
      const r = hpo('--benchmark', 'mfbranin', '--optimizer', 'random', '--workers', w, '--seeds', '1', '--out', mkdtempSync(join(tmpdir(), 'hg-hpo-w-')));
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/nWorkers must be an integer in \[1, 65536\], got \d+/);
    }
  });

  it('a second run into the same folder is refused instead of doubling the files', () => {
    const out = mkdtempSync(join(tmpdir(), 'hg-hpo-twice-'));
    const args = ['--benchmark', 'mfbranin', '--optimizer', 'random', '--evals', '5', '--seeds', '1', '--out', out];
    expect(hpo(...args).status).toBe(0);
    const again = hpo(...args);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/--out .*mfbranin is not empty \(it holds the run [0-9a-f-]{36}\); pass --resume .*mfbranin to continue it, --overwrite to replace it/);
    expect(readdirSync(join(out, 'mfbranin')).filter((f) => f.endsWith('.jsonl'))).toEqual(['random-seed0.jsonl']);
    expect(readRecords(join(out, 'mfbranin', 'random-seed0.jsonl'))).toHaveLength(5);
  });
});
