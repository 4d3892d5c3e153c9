import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../src/dashboard/dashboardServer.js';
import type { RunEntry } from '../../src/dashboard/findRuns.js';
import type { RunView } from '../../src/dashboard/runView.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../../src/cli/program.js';
import { bin, built, root } from '../cli/helpers.js';
import { appendRecord, record, writeHpoRun } from './fixtures.js';

const SECRET = 'the secret outside the folder';

/** A raw GET (no URL normalisation, unlike fetch): status, body, headers. */
function get(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

/** Runs the CLI in-process; collects what it writes. */
async function cli(...argv: string[]) {
  const chunks = { out: '', err: '' };
  const stream = (k: 'out' | 'err') => ({ write: (s: string) => { chunks[k] += s; return true; } }) as unknown as NodeJS.WritableStream;
  const status = await runCli(argv, { out: stream('out'), err: stream('err') }, COMMANDS);
  return { status, ...chunks };
}

describe('the dashboard server', () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'hg-dashboard-')));
  const runsDir = join(base, 'runs');
  let dashboard: Dashboard;
  beforeAll(async () => {
    writeFileSync(join(base, 'secret.txt'), SECRET);
    mkdirSync(join(base, 'outside-run'));
    writeFileSync(join(base, 'outside-run', 'summary.json'), JSON.stringify({ secret: SECRET }));
    writeHpoRun(join(runsDir, 'hpo', 'toy'), ['random', 'asha'], 2, 5);
    mkdirSync(join(runsDir, 'cmp'));
    writeFileSync(join(runsDir, 'cmp', 'experiment.json'), JSON.stringify({ command: 'compare', problem: 'l2-hpo', methods: ['cg'] }));
    writeFileSync(join(runsDir, 'cmp', 'summary.json'), JSON.stringify({
      problem: 'l2-hpo', results: [{ method: 'cg', validationLoss: 0.5, test: { name: 'test BCE', value: 0.6, baseline: 0.7 }, extras: {}, secondsPerOuterStep: 0.1, peakBytes: 2 ** 20, hypergradient: { cosine: 1, relativeError: 0.25 } }],
    }));
    writeFileSync(join(runsDir, 'cmp', 'notes.txt'), 'inside');
    symlinkSync(join(base, 'secret.txt'), join(runsDir, 'link-out.txt'));
    symlinkSync(join(base, 'outside-run'), join(runsDir, 'dir-out'));
    symlinkSync(join(runsDir, 'cmp', 'notes.txt'), join(runsDir, 'link-in.txt'));
    mkdirSync(join(base, 'page'));
    writeFileSync(join(base, 'page', 'index.html'), '<title>page</title>');
    dashboard = await startDashboard({ dir: runsDir, pollMs: 50, pageDir: join(base, 'page') });
  });
  afterAll(async () => {
    await dashboard?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 by default and serves files of its folder', async () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get(dashboard.url, '/')).toEqual({ status: 200, body: '<title>page</title>' });
    expect(await get(dashboard.url, '/files/cmp/notes.txt')).toEqual({ status: 200, body: 'inside' });
    expect((await get(dashboard.url, '/files/link-in.txt')).body).toBe('inside'); // a symlink that stays inside
  });

  it.each([
    '/files/../secret.txt', '/files/cmp/../../secret.txt', '/files/%2e%2e/secret.txt', '/files/%2E%2E%2Fsecret.txt', '/files/..%2fsecret.txt',
    '/files/cmp/%2e%2e/%2e%2e/secret.txt', '/files/%252e%252e/secret.txt', '/files/..%5csecret.txt', '/files/%00../secret.txt',
    `/files/${join(base, 'secret.txt')}`, `/files/${encodeURIComponent(join(base, 'secret.txt'))}`, '/files//etc/passwd', '/files/%2Fetc%2Fpasswd',
    '/files/link-out.txt', '/files/dir-out/summary.json', '/files/cmp', '/files/%zz', '/../secret.txt', '/%2e%2e/secret.txt', '/../runs/cmp/notes.txt',
    '/api/run?id=..', '/api/run?id=dir-out', `/api/run?id=${encodeURIComponent(join(base, 'outside-run'))}`,
  ])('refuses %s with 404', async (path) => {
    const { status, body } = await get(dashboard.url, path);
    expect(status).toBe(404);
    expect(body).not.toContain(SECRET);
  });

  it('lists the runs of its folder (not those a symlink points to outside it), with kinds and configs', async () => {
    const { status, body } = await get(dashboard.url, '/api/runs');
    expect(status).toBe(200);
    const { runs } = JSON.parse(body) as { runs: RunEntry[] };
    expect(runs.map((r) => [r.id, r.kind])).toEqual([['cmp', 'compare'], ['hpo/toy', 'hpo']]);
    expect(runs[1]?.config).toMatchObject({ benchmark: 'toy', optimizer: ['random', 'asha'], seeds: 2 });
    expect(runs[1]?.files.map((f) => f.name)).toEqual(['asha-seed0.jsonl', 'asha-seed1.jsonl', 'experiment.json', 'random-seed0.jsonl', 'random-seed1.jsonl']);
  });

  it("builds an HPO run's view from its records: every record a trial row, an incumbent chart, one scatter per numeric parameter", async () => {
    const view = JSON.parse((await get(dashboard.url, '/api/run?id=hpo%2Ftoy')).body) as RunView & { kind: 'hpo' };
    expect(view.kind).toBe('hpo');
    expect(view.trials.columns).toEqual(['optimizer', 'seed', 'trial', 'simulated time (s)', 'worker', 'fidelity', 'lr', 'depth', 'loss']);
    expect(view.trials.rows).toHaveLength(20);
    expect(view.trials.rows[5]).toEqual(['random', 1, 0, record(0, 1, 0).cumtime, 0, 1, record(0, 1, 0).config.lr, 1, record(0, 1, 0).values.loss]);
    expect(view.charts.map((c) => c.name)).toEqual(['incumbent']);
    expect(view.parameters.map((c) => c.name)).toEqual(['lr vs loss', 'depth vs loss']);
    expect(view.optimizers).toEqual([{ name: 'random', seeds: [0, 1], expected: 2 }, { name: 'asha', seeds: [0, 1], expected: 2 }]);
  });

  it('labels an optimizer still missing seeds, and keeps linear axes for parameters sampled uniformly', async () => {
    const dir = join(runsDir, 'partial');
    writeHpoRun(dir, ['tpe'], 2, 4);
    writeFileSync(join(dir, 'experiment.json'), JSON.stringify({ command: 'hpo', benchmark: 'toy', optimizer: ['tpe'], workers: 2, seeds: 5 }));
    try {
      const view = JSON.parse((await get(dashboard.url, '/api/run?id=partial')).body) as RunView & { kind: 'hpo' };
      const spec = view.charts[0]?.spec as { data: { values: { series: string }[] } };
      expect(new Set(spec.data.values.map((v) => v.series))).toEqual(new Set(['tpe (2/5 seeds)']));
      const scatter = view.parameters[0]?.spec as { encoding: { x: { scale: unknown } } };
      expect(scatter.encoding.x.scale).toEqual({ zero: false });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('reads the results table of a compare run from its summary', async () => {
    const view = JSON.parse((await get(dashboard.url, '/api/run?id=cmp')).body) as RunView & { kind: 'compare' };
    expect(view.results.columns).toEqual(['method', 'valid loss', 'test BCE', '(untuned)', 'hypergrad cos', 'rel err', 's/outer step', 'peak MB']);
    expect(view.results.rows).toEqual([['cg', 0.5, 0.6, 0.7, 1, 0.25, 0.1, 1]]);
  });

  it('sends a change event naming the run when a record is appended', async () => {
    const { hostname, port } = new URL(dashboard.url);
    const events: string[] = [];
    let res: import('node:http').IncomingMessage | undefined;
    const changed = new Promise<string>((resolve, reject) => {
      const req = request({ hostname, port, path: '/api/events' }, (r) => {
        res = r;
        expect(r.headers['content-type']).toBe('text/event-stream');
        r.setEncoding('utf8').on('data', (chunk: string) => {
          events.push(chunk);
          if (chunk.includes('event: hello')) appendRecord(join(runsDir, 'hpo', 'toy', 'asha-seed1.jsonl'), record(1, 1, 5));
          const m = /event: change\ndata: (.*)\n/.exec(events.join(''));
          if (m) resolve(m[1] as string);
        });
      });
      req.on('error', reject).end();
    });
    expect(JSON.parse(await changed)).toEqual({ runs: ['hpo/toy'] });
    res?.destroy();
    const view = JSON.parse((await get(dashboard.url, '/api/run?id=hpo%2Ftoy')).body) as RunView & { kind: 'hpo' };
    expect(view.trials.rows).toHaveLength(21);
  });

  it('refuses requests addressed to another host name (DNS rebinding), writes, and says when the page is not built', async () => {
    expect((await get(dashboard.url, '/api/runs', { host: 'evil.example:80' })).status).toBe(403);
    expect((await get(dashboard.url, '/api/runs', {}, 'POST')).status).toBe(405);
    const unbuilt = await startDashboard({ dir: runsDir, pageDir: join(base, 'no-page') });
    try {
      const page = await get(unbuilt.url, '/');
      expect(page.status).toBe(503);
      expect(page.body).toContain('npm run build');
    } finally {
      await unbuilt.close();
    }
  });

  it('checks its options', async () => {
    await expect(startDashboard({ dir: join(base, 'missing') })).rejects.toThrow(/startDashboard: dir must be a folder, got ".*missing"/);
    await expect(startDashboard({ dir: runsDir, port: 70_000 })).rejects.toThrow('startDashboard: port must be an integer in [0, 65535], got 70000');
  });
});

describe('hypergrad dashboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hg-dashboard-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a missing folder and a port out of range, naming them', async () => {
    expect(await cli('dashboard', join(dir, 'missing'))).toMatchObject({ status: 2, err: expect.stringMatching(/^hypergrad dashboard: DIR must be a folder, got ".*missing"\n$/) });
    expect(await cli('dashboard', dir, '--port', '70000')).toMatchObject({ status: 2, err: 'hypergrad dashboard: --port must be an integer in [0, 65535], got 70000\n' });
    expect(await cli('dashboard', dir, '--port', 'http')).toMatchObject({ status: 2, err: "hypergrad dashboard: --port must be an integer >= 0, got 'http'\n" });
  });

  it.skipIf(!built)("starts from code through the package's subpath entry hypergrad/dashboard", () => {
    const script = `import { startDashboard } from 'hypergrad/dashboard';
      const d = await startDashboard({ dir: ${JSON.stringify(dir)} });
      const r = await fetch(d.url + 'api/runs');
      console.log(JSON.stringify({ url: d.url, status: r.status }));
      await d.close();`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }).trim()) as { url: string; status: number };
    expect(out.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(out.status).toBe(200);
  });

  it.skipIf(!built)('serves on 127.0.0.1 until interrupted (the built CLI)', async () => {
    writeHpoRun(join(dir, 'hpo'), ['random'], 1, 3);
    const child = spawn(process.execPath, [bin, 'dashboard', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          if (out.includes('\n')) resolve(out);
        });
        child.on('exit', () => reject(new Error(`exited before serving: ${out}`)));
      });
      const url = /(http:\/\/\S+\/)/.exec(line)?.[1] as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const { runs } = JSON.parse((await get(url, '/api/runs')).body) as { runs: RunEntry[] };
      expect(runs.map((r) => r.id)).toEqual(['hpo']);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
