import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { built, hypergrad, tableDigits } from './helpers.js';

describe.skipIf(!built)('experiment files', () => {
  it('compare writes its resolved experiment; a run from that file reproduces the same table', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hg-exp-'));
    const first = hypergrad('compare', 'l2-hpo', '--methods', 'cg,firstOrder', '--outer-steps', '2', '--inner-steps', '20', '--out', join(tmp, 'a'));
    expect(first.status, first.stderr).toBe(0);
    const written = JSON.parse(readFileSync(join(tmp, 'a', 'experiment.json'), 'utf8'));
    expect(written).toMatchObject({ command: 'compare', problem: 'l2-hpo', methods: ['cg', 'firstOrder'], outerSteps: 2, innerSteps: 20, seed: 0 });
    const again = hypergrad('compare', '--config', join(tmp, 'a', 'experiment.json'), '--out', join(tmp, 'b'));
    expect(again.status, again.stderr).toBe(0);
    const rows = tableDigits(first.stdout);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^cg \d\.\d{4} /);
    expect(tableDigits(again.stdout)).toEqual(rows);
    expect(JSON.parse(readFileSync(join(tmp, 'b', 'experiment.json'), 'utf8'))).toEqual({ ...written, out: join(tmp, 'b') });
    // The problem's defaults are written out, so the file does not depend on them.
    const run = hypergrad('run', 'l2-hpo', '--method', 'neumann', '--iterations', '5', '--outer-steps', '1', '--out', join(tmp, 'c'));
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(tmp, 'c', 'experiment.json'), 'utf8'))).toMatchObject({ command: 'run', method: 'neumann', iterations: 5, outerSteps: 1, innerSteps: 100 });
  });

  it('hpo: a run from the written experiment prints the same summary and writes the same records', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hg-exp-'));
    const first = hypergrad('hpo', '--benchmark', 'mfhartmann3', '--optimizer', 'random,tpe', '--workers', '2', '--evals', '15', '--seeds', '2', '--out', join(tmp, 'a'), '--progress', 'plain');
    expect(first.status, first.stderr).toBe(0);
    const file = join(tmp, 'a', 'mfhartmann3', 'experiment.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ command: 'hpo', benchmark: 'mfhartmann3', optimizer: ['random', 'tpe'], workers: 2, evals: 15, seeds: 2 });
    const again = hypergrad('hpo', '--config', file, '--out', join(tmp, 'b'));
    expect(again.status, again.stderr).toBe(0);
    const table = (s: string) => s.split('\n').filter((l) => /^(random|tpe) /.test(l));
    expect(table(first.stdout)).toHaveLength(2);
    expect(table(again.stdout)).toEqual(table(first.stdout));
    // The same records, each run with its own identity (`run.id`, a fresh UUID per run, and its command line).
    const records = (dir: string) => readFileSync(join(tmp, dir, 'mfhartmann3', 'tpe-seed1.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const r = JSON.parse(l) as { run: { id?: string; command?: string } };
      expect(r.run.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.run.command).toContain(`--out ${join(tmp, dir)}`);
      delete r.run.id;
      delete r.run.command;
      return r;
    });
    expect(records('b')).toEqual(records('a'));
    // Plain progress: one final line per optimizer (hpo's default, tty, writes none off a terminal).
    expect(first.stderr).toMatch(/^tpe +evaluations \[#{24}\] 30\/30  \d+\.\ds$/m);
  });
});
