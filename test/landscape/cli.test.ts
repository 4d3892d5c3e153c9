import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/cli/commands.js';

const landscapeCommand = invoke('landscape');

/** Runs `hypergrad landscape ...` in this process (no node start-up per call); returns its exit code and output. */
async function run(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const sink = () => {
    const chunks: string[] = [];
    const w = new Writable({ write: (c, _e, cb) => { chunks.push(String(c)); cb(); } });
    return { w, text: () => chunks.join('') };
  };
  const out = sink();
  const err = sink();
  const status = await landscapeCommand(args, out.w, err.w);
  return { status, stdout: out.text(), stderr: err.text() };
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('hypergrad landscape', () => {
  it('analyses one landscape: prints the metrics, writes JSON, GraphML and SVG/PNG plots; compare reads two files', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hg-land-'));
    dirs.push(out);
    const r = await run('--benchmark', 'mfhartmann3', '--levels', '4', '--fidelity', '100', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/mfhartmann3@100\/loss: 64 configurations, 144 neighbour pairs/);
    expect(r.stdout).toMatch(/FDC -?\d/);
    expect(readdirSync(out).sort()).toEqual([
      'mfhartmann3_100_loss-basins.png', 'mfhartmann3_100_loss-basins.svg', 'mfhartmann3_100_loss-basins.vl.json', 'mfhartmann3_100_loss-embedding.png',
      'mfhartmann3_100_loss-embedding.svg', 'mfhartmann3_100_loss-embedding.vl.json', 'mfhartmann3_100_loss-lon.graphml', 'mfhartmann3_100_loss-slices.png',
      'mfhartmann3_100_loss-slices.svg', 'mfhartmann3_100_loss-slices.vl.json', 'mfhartmann3_100_loss.json',
    ]);
    expect(readFileSync(join(out, 'mfhartmann3_100_loss-slices.svg'), 'utf8')).toMatch(/^<svg/);
    // Each picture's Vega-Lite spec, with its data, beside it (drawn by hypergrad/plot's one renderer).
    expect(JSON.parse(readFileSync(join(out, 'mfhartmann3_100_loss-slices.vl.json'), 'utf8'))).toMatchObject({ facet: { field: 'panel' }, data: { values: expect.any(Array) } });
    expect((await run('--benchmark', 'mfhartmann3', '--levels', '4', '--fidelity', '11', '--out', out)).status).toBe(0);
    const c = await run('compare', join(out, 'mfhartmann3_100_loss.json'), join(out, 'mfhartmann3_11_loss.json'), '--gamma', '0.25');
    expect(c.status).toBe(0);
    const s = JSON.parse(c.stdout);
    expect(s).toMatchObject({ a: 'mfhartmann3@100/loss', b: 'mfhartmann3@11/loss', gamma: 0.25, n: 64 });
    expect(s.spearman).toBeGreaterThan(0.5);
  });

  it('runs a study with tables and plots, and resumes it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hg-study-'));
    dirs.push(out);
    const args = ['study', '--benchmark', 'mfbranin', '--levels', '8', '--fidelities', '11,100', '--out', out];
    const r = await run(...args);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\| mfbranin \| fidelity vs full: 11 vs 100 \| 1 \|/);
    for (const f of ['study.json', 'tables.md', 'metrics.csv', 'mfbranin-similarity-fidelities.png', 'mfbranin-similarity-fidelities.vl.json', 'mfbranin-embedding.png', 'mfbranin-slices.svg']) expect(existsSync(join(out, f))).toBe(true);
    const again = await run(...args);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(r.stdout);
  });

  it('bad options get errors naming the option and what it accepts', async () => {
    expect((await run('--benchmark', 'lcbench')).stderr).toMatch(/--benchmark lcbench needs --task/);
    expect((await run('--benchmark', 'mfbranin', '--levels', '1')).stderr).toMatch(/levels must be an integer in \[2, 1000\], got 1/);
    expect((await run('--benchmark', 'mfbranin', '--fidelity', '500')).stderr).toMatch(/--fidelity must be a finite number in \[11, 100\], got '500'/);
    expect((await run('--benchmark', 'mfbranin', '--direction', 'up')).stderr).toMatch(/--direction must be one of 'minimize', 'maximize', got 'up'/);
    expect((await run('study', '--benchmark', 'lcbench')).stderr).toMatch(/--out is required/);
    expect((await run('study', '--benchmark', 'nope', '--out', tmpdir())).stderr).toMatch(/benchmark must be one of lcbench, mfbranin/);
    expect((await run('compare', 'a.json')).stderr).toMatch(/compare needs two landscape files/);
    const help = await run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/hypergrad landscape study --benchmark LIST --out DIR/);
  });
});
