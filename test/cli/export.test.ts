import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { built, hypergrad } from './helpers.js';

describe.skipIf(!built)('hypergrad export', () => {
  it("writes one CSV of every record under a folder, fields flattened, equal to the JSON lines", () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hg-export-'));
    expect(hypergrad('hpo', '--benchmark', 'mfbranin', '--optimizer', 'random,asha', '--workers', '2', '--evals', '12', '--seeds', '2', '--out', tmp).status).toBe(0);
    const r = hypergrad('export', tmp);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^48 records from 4 files, \d+ columns: .*records\.csv$/m);
    const [header, ...lines] = readFileSync(join(tmp, 'records.csv'), 'utf8').trim().split('\n') as [string, ...string[]];
    const columns = header.split(',');
    expect(columns.slice(0, 2)).toEqual(['file', 'line']);
    expect(columns).toEqual(expect.arrayContaining(['cumtime', 'workerIndex', 'config.x0', 'config.x1', 'values.loss', 'runtime']));
    expect(lines).toHaveLength(48);
    const row = Object.fromEntries(columns.map((c, i) => [c, lines[0]?.split(',')[i]]));
    expect(row.file).toBe(join('mfbranin', 'asha-seed0.jsonl'));
    const record = JSON.parse(readFileSync(join(tmp, 'mfbranin', 'asha-seed0.jsonl'), 'utf8').split('\n')[0] as string);
    expect(Number(row['values.loss'])).toBe(record.values.loss);
    expect(Number(row['config.x0'])).toBe(record.config.x0);
    expect(Number(row.cumtime)).toBe(record.cumtime);
    const tsv = hypergrad('export', join(tmp, 'mfbranin'), '--format', 'tsv', '--out', '-');
    expect(tsv.stdout.split('\n')[0]).toBe(header.replace(/,/g, '\t'));
  });
});
