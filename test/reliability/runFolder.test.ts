import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/cli/commands.js';
import { lockRunFolder } from '../../src/storage/runFolderLock.js';

const tmp = mkdtempSync(join(tmpdir(), 'hg-folder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sink = () => {
  let text = '';
  return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
};
const cli = async (command: string, args: string[]) => {
  const out = sink();
  const err = sink();
  const code = await invoke(command)([...args, '--progress', 'off'], out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
};
const small = ['l2-hpo', '--outer-steps', '2', '--inner-steps', '5'];
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('run folders cannot be mixed', () => {
  it('--out is checked before any work: empty, a file, unwritable, and a folder holding a run are refused, naming --out and what to do', async () => {
    expect((await cli('run', [...small, '--out', ''])).err).toMatch(/--out must be a non-empty string, got ''/);
    const file = join(tmp, 'file');
    writeFileSync(file, 'x');
    expect((await cli('run', [...small, '--out', file])).err).toMatch(`--out ${file}: not a folder`);
    const locked = join(tmp, 'ro');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    if (process.getuid?.() !== 0) expect((await cli('run', [...small, '--out', locked])).err).toMatch(new RegExp(`--out ${locked}: the folder is not writable \\(EACCES\\)`));
    chmodSync(locked, 0o700);
    const dir = join(tmp, 'a');
    const first = await cli('run', [...small, '--out', dir]);
    expect(first.code, first.err).toBe(0);
    const again = await cli('compare', [...small, '--out', dir]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(new RegExp(`--out ${dir} is not empty \\(it holds the run [0-9a-f-]{36}\\); pass --resume ${dir} to continue it, --overwrite to replace it, or choose another folder`));
    expect((await cli('compare', ['--resume', dir])).err).toMatch(`--resume ${dir}: it holds a 'hypergrad run' run, not a 'compare' one`);
    expect((await cli('run', ['--resume', join(tmp, 'none')])).err).toMatch(/--resume .*none: no run to resume there \(no experiment.json\); start one with --out/);
    expect((await cli('run', [...small, '--out', dir, '--resume', dir, '--overwrite'])).err).toMatch(/give --resume DIR \(continue a run\) or --overwrite \(replace one\), not both/);
  });

  it('every record carries the run id, seed and command; --overwrite replaces the run (a new id), and refuses to delete files hypergrad did not write', async () => {
    const dir = join(tmp, 'b');
    expect((await cli('run', [...small, '--seed', '3', '--out', dir])).code).toBe(0);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ kind: 'run', seed: 3, command: `hypergrad run l2-hpo --method cg --outer-steps 2 --inner-steps 5 --seed 3 --out ${dir}` });
    const recs = lines(join(dir, 'cg.jsonl'));
    expect(recs.map((r) => r.step)).toEqual([1, 2]);
    for (const r of recs) expect(r).toMatchObject({ run: run.run, seed: 3, command: run.command, method: 'cg' });
    expect((await cli('run', [...small, '--seed', '4', '--out', dir, '--overwrite'])).code).toBe(0);
    const replaced = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(replaced.run).not.toBe(run.run);
    expect(lines(join(dir, 'cg.jsonl')).map((r) => [r.run, r.seed])).toEqual([[replaced.run, 4], [replaced.run, 4]]);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect((await cli('run', [...small, '--out', dir, '--overwrite'])).err).toMatch(`--out ${dir}: --overwrite replaces only what hypergrad writes, and the folder also holds notes.txt; choose another folder`);
    expect(readdirSync(dir)).toContain('cg.jsonl');
  });

  it('a folder in use by a live run is refused (the lock is held for the run\'s lifetime)', async () => {
    const dir = join(tmp, 'held');
    const held = lockRunFolder(dir);
    try {
      const r = await cli('run', [...small, '--out', dir]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--out .*held is in use by another run \(pid \d+ on .* since .*\)/);
    } finally {
      held.release();
    }
    expect((await cli('run', [...small, '--out', dir])).code).toBe(0);
  });
});

describe('--lr sets the learning rates the errors name', () => {
  it('an overflowing outer step names --lr outer=X; a smaller rate runs; unknown names list the problem\'s', async () => {
    const bad = await cli('run', [...small, '--lr', 'outer=1e45', '--out', join(tmp, 'lr1')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/problem 'outer': update 0 made its parameters non-finite .* lower the learning rate of problem 'outer' .*--lr outer=X on the command line/);
    // Huge but finite: the inner loss that reads them overflows, and the advice names the problem whose values grew.
    const huge = await cli('run', [...small, '--lr', 'outer=1e38', '--out', join(tmp, 'lr0')]);
    expect(huge.err).toMatch(/problem 'inner': loss is Infinity at update \d+, .* it reads 'outer' \(largest \|value\| [\d.]+e\+3\d\): .* lower the learning rate of problem 'outer' .*--lr outer=X/);
    const ok = await cli('run', [...small, '--lr', 'outer=0.5,inner=0.05', '--out', join(tmp, 'lr2')]);
    expect(ok.code, ok.err).toBe(0);
    const def = await cli('run', [...small, '--out', join(tmp, 'lr3')]);
    expect(lines(join(tmp, 'lr2', 'cg.jsonl'))[1]?.validationLoss).not.toBe(lines(join(tmp, 'lr3', 'cg.jsonl'))[1]?.validationLoss);
    expect(def.code).toBe(0);
    expect((await cli('run', [...small, '--lr', 'decay=0.1'])).err).toMatch(/--lr: problem 'l2-hpo' has no 'decay'; its learning rates: inner \(default 0.1\), outer \(default 1\)/);
    expect((await cli('run', [...small, '--lr', 'outer=-1'])).err).toMatch(/--lr outer must be a positive number, got -1/);
    expect((await cli('run', [...small, '--lr', 'outer'])).err).toMatch(/--lr must be a list NAME=X,... \(e.g. outer=0.1\), got 'outer'/);
  });
});
