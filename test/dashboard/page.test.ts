import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../../src/cli/program.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/dashboardServer.js';
import { dashboardPageDir } from '../../src/dashboard/pageDir.js';
import type { DashboardState } from '../../src/dashboard/page/main.js';
import type { SimulationRecord } from '../../src/simulator/types.js';
import { launchChromium, openPage } from '../helpers/browser.js';

const PAGE_SOURCES = fileURLToPath(new URL('../../src/dashboard/page/', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../../docs/img/dashboard.png', import.meta.url));
const SEEDS = 3;

/** Builds the page with Vite where `npm run build` has not (or its sources are newer than the build). */
async function ensurePage(): Promise<void> {
  const index = join(dashboardPageDir(), 'index.html');
  const newest = Math.max(...readdirSync(PAGE_SOURCES).map((f) => statSync(join(PAGE_SOURCES, f)).mtimeMs));
  if (!existsSync(index) || statSync(index).mtimeMs < newest) await build({ configFile: join(PAGE_SOURCES, 'vite.config.mts'), logLevel: 'warn' });
}

async function cli(...argv: string[]): Promise<void> {
  let err = '';
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const errs = { write: (s: string) => { err += s; return true; } } as unknown as NodeJS.WritableStream;
  const status = await runCli(argv, { out: sink, err: errs }, COMMANDS);
  if (status !== 0) throw new Error(`hypergrad ${argv.join(' ')} failed: ${err}`);
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SimulationRecord);

/** Quantile with linear interpolation between order statistics (numpy's default). */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return (s[lo] as number) + ((s[Math.ceil(pos)] as number) - (s[lo] as number)) * (pos - lo);
}

/** The median and quartiles over seeds of each seed's best loss among the results arrived by simulated time `t`. */
function bandAt(dir: string, optimizer: string, t: number): { y: number; lower: number; upper: number } {
  const best = Array.from({ length: SEEDS }, (_, k) => Math.min(...lines(join(dir, `${optimizer}-seed${k}.jsonl`)).filter((r) => r.cumtime <= t).map((r) => r.values.loss as number)));
  return { y: quantile(best, 0.5), lower: quantile(best, 0.25), upper: quantile(best, 0.75) };
}

type Point = { series: string; x: number; y: number; lower: number; upper: number };

/** Every point of the incumbent chart against {@link bandAt} computed from the files. */
function checkIncumbents(dir: string, data: readonly Point[]): void {
  expect(new Set(data.map((d) => d.series))).toEqual(new Set(['random', 'asha']));
  for (const d of data) {
    const expected = bandAt(dir, d.series, d.x);
    expect([d.y, d.lower, d.upper]).toBeAllClose([expected.y, expected.lower, expected.upper], { rtol: 1e-12, atol: 0 });
  }
}

const shown = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));
const state = (page: Page) => page.evaluate(() => {
  const s = (window as unknown as { hypergradDashboard: DashboardState }).hypergradDashboard;
  return { id: s.run?.id, renders: s.renders, charts: s.charts() };
});
const chartData = (page: Page, name: string) => page.evaluate((n) => (window as unknown as { hypergradDashboard: DashboardState }).hypergradDashboard.chartData(n), name);
const column = (page: Page, table: string, title: string) => page.evaluate(([t, c]) => {
  const el = document.getElementById(t as string) as HTMLTableElement;
  const i = [...el.tHead!.rows[0]!.cells].findIndex((th) => th.textContent === c);
  return [...el.tBodies[0]!.rows].map((r) => r.cells[i]?.textContent ?? '');
}, [table, title]);

const browser = await launchChromium();

describe.skipIf(typeof browser === 'string')('the dashboard in headless Chromium', () => {
  const runs = mkdtempSync(join(tmpdir(), 'runs-'));
  const hpoDir = join(runs, 'hpo', 'mfbranin');
  const cmpDir = join(runs, 'l2-hpo');
  let dashboard: Dashboard;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    await ensurePage();
    await cli('hpo', '--benchmark', 'mfbranin', '--optimizer', 'random,asha', '--evals', '15', '--seeds', String(SEEDS), '--workers', '2', '--out', join(runs, 'hpo'));
    await cli('compare', 'l2-hpo', '--methods', 'cg,neumann', '--outer-steps', '2', '--inner-steps', '30', '--out', cmpDir);
    dashboard = await startDashboard({ dir: runs, pollMs: 100 });
    page = await openPage(browser as Browser, `${dashboard.url}#hpo%2Fmfbranin`, errors);
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.waitForFunction(() => (window as unknown as { hypergradDashboard?: DashboardState }).hypergradDashboard?.run?.id === 'hpo/mfbranin');
  }, 120_000);
  afterAll(async () => {
    await (browser as Browser).close();
    await dashboard?.close();
    rmSync(runs, { recursive: true, force: true });
  });

  it("lists both runs, and draws the HPO run's incumbent curves from its records: the spec the CLI wrote, ending at the quartiles of each seed's best", async () => {
    expect(await page.locator('nav a').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.runId))).toEqual(['hpo/mfbranin', 'l2-hpo']);
    expect(await page.locator('#config').textContent()).toContain('benchmarkmfbranin');
    const view = await page.evaluate(() => (window as unknown as { hypergradDashboard: DashboardState }).hypergradDashboard.run);
    expect(view?.charts[0]?.spec).toEqual(JSON.parse(readFileSync(join(hpoDir, 'incumbent.vl.json'), 'utf8')));
    const data = (await chartData(page, 'incumbent')) as Point[];
    expect(data.length).toBeGreaterThan(60); // 60 grid times per optimizer, less those before every seed has a result
    checkIncumbents(hpoDir, data);
    const chart = page.locator('[data-chart="incumbent"] svg');
    expect(await chart.locator('.mark-line path').count()).toBe(2);
    expect(await chart.locator('.role-axis-title').allTextContents()).toEqual(['simulated time (s)', 'best loss']);
    expect(await chart.locator('.role-legend-label').allTextContents()).toEqual(['random', 'asha']);
  });

  it('shows every record in a sortable trial table, and one scatter plot per parameter', async () => {
    const records = ['random', 'asha'].flatMap((o) => Array.from({ length: SEEDS }, (_, k) => lines(join(hpoDir, `${o}-seed${k}.jsonl`))).flat());
    const losses = records.map((r) => r.values.loss as number);
    expect(await column(page, 'trials', 'loss')).toHaveLength(records.length);
    await page.locator('#trials th', { hasText: /^loss$/ }).click();
    expect(await page.locator('#trials th', { hasText: /^loss$/ }).getAttribute('aria-sort')).toBe('ascending');
    const ascending = await column(page, 'trials', 'loss');
    expect(ascending[0]).toBe(shown(Math.min(...losses)));
    expect(ascending).toEqual([...losses].sort((a, b) => a - b).map(shown));
    await page.locator('#trials th', { hasText: /^loss$/ }).click();
    expect((await column(page, 'trials', 'loss'))[0]).toBe(shown(Math.max(...losses)));
    for (const p of ['x0', 'x1']) {
      const points = (await chartData(page, `${p} vs loss`)) as { x: number; y: number }[];
      expect(points.map((d) => [d.x, d.y]).sort((a, b) => a[0]! - b[0]!)).toEqual(records.map((r) => [r.config[p], r.values.loss]).sort((a, b) => (a[0] as number) - (b[0] as number)));
    }
  });

  it('follows records appended to a run: the table, the summary and the incumbent curve update, and saves the screenshot', async () => {
    const file = join(hpoDir, 'asha-seed2.jsonl');
    const old = lines(file);
    const last = old.at(-1) as SimulationRecord;
    const before = await state(page);
    const endBefore = ((await chartData(page, 'incumbent')) as Point[]).filter((d) => d.series === 'asha').at(-1) as Point;
    const best = Math.min(...old.map((r) => r.values.loss as number)) / 2;
    const trial = last.trial === undefined ? {} : { trial: Math.max(...old.map((r) => r.trial as number)) + 1 }; // the next ask's number
    appendFileSync(file, `${JSON.stringify({ ...last, cumtime: last.cumtime + 600, values: { ...last.values, loss: best }, ...trial })}\n`);
    await page.waitForFunction((n) => (window as unknown as { hypergradDashboard: DashboardState }).hypergradDashboard.renders > n, before.renders, { timeout: 20_000 });
    expect(await page.locator('.errors').allTextContents()).toEqual(['']);
    expect(await page.locator('#hpo-summary').textContent()).toMatch(/^91 trials/);
    expect(await column(page, 'trials', 'loss')).toHaveLength(91);
    const data = (await chartData(page, 'incumbent')) as Point[];
    checkIncumbents(hpoDir, data);
    expect(Math.max(...data.filter((d) => d.series === 'asha').map((d) => d.x))).toBeGreaterThan(last.cumtime + 500); // the grid reaches the new record
    const end = data.filter((d) => d.series === 'asha').at(-1) as Point;
    expect(end.lower).toBeLessThan(endBefore.lower); // the new best of seed 2 pulls the lower quartile down
    await page.locator('#trials th', { hasText: /^loss$/ }).click(); // back to ascending: the new record first
    expect((await column(page, 'trials', 'loss'))[0]).toBe(shown(best));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
    expect(errors).toEqual([]);
  });

  it("shows a comparison's results table and its plots with the numbers of its summary", async () => {
    await page.evaluate(() => { location.hash = 'l2-hpo'; });
    await page.waitForFunction(() => (window as unknown as { hypergradDashboard: DashboardState }).hypergradDashboard.run?.id === 'l2-hpo');
    const summary = JSON.parse(readFileSync(join(cmpDir, 'summary.json'), 'utf8')) as { results: { method: string; validationLoss: number; hypergradient: { cosine: number; relativeError: number } }[] };
    expect(await column(page, 'results', 'method')).toEqual(['cg', 'neumann']);
    expect(await column(page, 'results', 'valid loss')).toEqual(summary.results.map((r) => shown(r.validationLoss)));
    expect(await column(page, 'results', 'rel err')).toEqual(summary.results.map((r) => shown(r.hypergradient.relativeError)));
    expect(await column(page, 'results', 'hypergrad cos')).toEqual(summary.results.map((r) => shown(r.hypergradient.cosine)));
    expect((await state(page)).charts).toEqual(['hypergradient-error', 'validation-loss']);
    const bars = (await chartData(page, 'hypergradient-error')) as { label: string; value: number }[];
    expect(bars.map((b) => [b.label, b.value])).toEqual(summary.results.map((r) => [r.method, r.hypergradient.relativeError]));
    const loss = (await chartData(page, 'validation-loss')) as { series: string; x: number; y: number }[];
    for (const method of ['cg', 'neumann']) {
      const history = readFileSync(join(cmpDir, `${method}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seconds: number; validationLoss: number });
      expect(loss.filter((d) => d.series === method).map((d) => [d.x, d.y])).toEqual(history.map((h) => [h.seconds, h.validationLoss]));
    }
    expect(await page.locator('[data-chart="validation-loss"] svg .mark-line path').count()).toBe(2);
    expect(errors).toEqual([]);
  });
});
