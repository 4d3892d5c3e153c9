import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../src/simulator/records.js';
import { seededRandom } from '../../src/util/random.js';

/**
 * `kill -9` at random moments: the CLI runs in a child process, is killed with SIGKILL, and then
 * `--resume DIR` finishes the run. The folder must stay readable after the kill (every JSON line
 * parses, hpo records validate) and the resumed run's records must equal an uninterrupted run's
 * (wall times and the run's identity aside). Needs the build (`npm test` builds first).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = resolve(root, 'dist/src/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'hg-kill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const rand = seededRandom(17);

const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args, '--progress', 'off'], { encoding: 'utf8' });

/** Starts the CLI and SIGKILLs it `delayMs` after `ready()` first holds (polled); resolves when it is gone. */
async function killAt(args: string[], ready: () => boolean, delayMs: number): Promise<{ killed: boolean }> {
  const child = spawn(process.execPath, [bin, ...args, '--progress', 'off'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let done = false;
  void exited.then(() => { done = true; });
  while (!done && !ready()) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, delayMs));
  const killed = !done && child.kill('SIGKILL');
  await exited;
  return { killed };
}

/**
 * Every `*.jsonl` under `dir` parses line by line (a kill leaves whole lines only), and the run's
 * own files (run, experiment, summary, checkpoints: written atomically) parse whole. Plots are
 * not checked: a run cut while drawing them redraws them.
 */
function readable(dir: string): void {
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) readable(path);
    else if (f.endsWith('.jsonl')) for (const line of readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')) JSON.parse(line);
    else if (f.endsWith('.json') && !f.endsWith('.vl.json')) JSON.parse(readFileSync(path, 'utf8'));
  }
}

/** A folder's JSON lines by file, without wall times and the run's identity. */
function records(dir: string, files: (f: string) => boolean): Record<string, unknown[]> {
  const strip = (r: Record<string, unknown>) => {
    const { seconds: _s, run, command: _c, ...rest } = r;
    if (run !== null && typeof run === 'object') {
      const { id: _i, command: _cc, ...identity } = run as Record<string, unknown>;
      return { ...rest, run: identity };
    }
    return rest;
  };
  return Object.fromEntries(readdirSync(dir).filter(files).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => strip(JSON.parse(l)))]));
}

/** `summary.json` of run/compare without its time and memory columns. */
const summary = (dir: string) => {
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { results: Record<string, unknown>[] };
  return { ...s, results: s.results.map(({ secondsPerOuterStep: _t, peakBytes: _m, ...r }) => r) };
};

/**
 * Runs `args` into a fresh folder uninterrupted, then twice more with a SIGKILL at a random moment
 * (once at a random time from the start, once a random time after the first record) and
 * `--resume`; each resumed folder's records equal the uninterrupted one's.
 */
async function killAndResume(name: string, args: (out: string) => string[], folderOf: (out: string) => string, files: (f: string) => boolean, spanMs: number) {
  const ref = join(tmp, `${name}-ref`);
  const first = cli(args(ref));
  expect(first.status, first.stderr).toBe(0);
  const expected = records(folderOf(ref), files);
  let kills = 0;
  for (const attempt of [0, 1]) {
    const out = join(tmp, `${name}-${attempt}`);
    const dir = folderOf(out);
    const delay = Math.floor(rand() * spanMs);
    const ready = attempt === 0 ? () => true : () => existsSync(dir) && readdirSync(dir).some((f) => files(f) && readFileSync(join(dir, f), 'utf8').length > 0);
    const { killed } = await killAt(args(out), ready, delay);
    if (killed) kills++;
    if (existsSync(dir)) readable(dir);
    const left = existsSync(dir) ? Object.values(records(dir, files)).reduce((n, r) => n + r.length, 0) : 0;
    process.stderr.write(`[kill -9] ${name}: ${killed ? 'killed' : 'finished'} ${delay} ms after ${attempt === 0 ? 'the start' : 'the first record'}, ${left} records left\n`);
    if (existsSync(dir)) for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl') && name === 'hpo')) readRecords(join(dir, f));
    // Killed before the run named its folder, there is nothing to resume: the run starts again.
    // `--resume DIR` alone: the options come from DIR/experiment.json.
    const again = existsSync(join(dir, 'run.json')) ? cli([args(out)[0] as string, '--resume', dir]) : cli(args(out));
    expect(again.status, again.stderr).toBe(0);
    const why = `${name}, killed ${delay} ms after ${attempt === 0 ? 'the start' : 'the first record'} (${killed ? 'killed' : 'it finished first'})`;
    expect(records(dir, files), why).toEqual(expected);
    if (name !== 'hpo') expect(summary(dir), why).toEqual(summary(folderOf(ref)));
  }
  return kills;
}

describe.skipIf(!existsSync(bin))('kill -9 at random moments, then --resume: the records equal an uninterrupted run', () => {
  it('hpo (random and asha, 2 seeds, per-arrival records)', async () => {
    const args = (out: string) => ['hpo', '--benchmark', 'mfbranin', '--optimizer', 'random,asha', '--seeds', '2', '--evals', '150', '--workers', '3', '--out', out];
    const kills = await killAndResume('hpo', args, (out) => join(out, 'mfbranin'), (f) => f.endsWith('.jsonl'), 900);
    expect(kills).toBeGreaterThan(0);
  });

  it('run (l2-hpo, unrolled, a checkpoint every outer step)', async () => {
    const args = (out: string) => ['run', 'l2-hpo', '--method', 'unrolled', '--outer-steps', '8', '--inner-steps', '30', '--out', out];
    const kills = await killAndResume('run', args, (out) => out, (f) => f.endsWith('.jsonl'), 1500);
    expect(kills).toBeGreaterThan(0);
  });

  it('compare (l2-hpo, cg then unrolled: finished methods are read back, the cut-off one continues)', async () => {
    const args = (out: string) => ['compare', 'l2-hpo', '--methods', 'cg,unrolled', '--outer-steps', '6', '--inner-steps', '30', '--out', out];
    const kills = await killAndResume('compare', args, (out) => out, (f) => f.endsWith('.jsonl'), 1500);
    expect(kills).toBeGreaterThan(0);
  });
});
