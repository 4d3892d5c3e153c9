import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join } from 'node:path';
import { checkInteger, checkPositiveInteger } from '../util/validate.js';
import { findRuns } from './findRuns.js';
import { insideRoot } from './insideRoot.js';
import { dashboardPageDir } from './pageDir.js';
import { runView } from './runView.js';
import { watchRuns } from './watchRuns.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The folder of runs to serve; nothing outside it is read. */
  dir: string;
  /** The port, an integer in [0, 65535]; 0 (the default) takes a free one. */
  port?: number;
  /** The address to bind; default `127.0.0.1` (this machine only). Anything else exposes the runs to the network. */
  host?: string;
  /** The built page (Vite's output); default hypergrad's own (`dist/dashboard`, built by `npm run build`). */
  pageDir?: string;
  /** How often the folder is looked at for appended records while a page listens (ms); default 500. */
  pollMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** Its address, e.g. `http://127.0.0.1:8377/`. */
  url: string;
  /** Stops it: closes the event streams, stops watching, closes the server. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.jsonl': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body);
}

const json = (res: ServerResponse, value: unknown) => send(res, 200, JSON.stringify(value), TYPES['.json']);

/** Streams the file at `path` (already checked to be inside its folder); 404 for a folder. */
function sendFile(res: ServerResponse, path: string | null, head: boolean): void {
  const stat = path === null ? undefined : statSync(path, { throwIfNoEntry: false });
  if (path === null || !stat?.isFile()) return send(res, 404, 'not found');
  res.writeHead(200, { 'content-type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream', 'content-length': stat.size, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  if (head) res.end();
  else createReadStream(path).on('error', () => res.destroy()).pipe(res);
}

/** The `Host` headers a page on this machine sends (a DNS-rebinding page sends its own name, refused). */
function allowedHosts(host: string, port: number): Set<string> | null {
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) return null; // bound for the network by choice: any name
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`));
}

/**
 * Serves the dashboard over a folder of runs: the page (built by Vite, drawn with vega-embed) and
 * a small read-only API under it.
 * - `GET /api/runs`: `{folder, runs}`, every run folder (`findRuns`) with its kind, config and files;
 * - `GET /api/run?id=<id>`: one run's view (`runView`: tables and Vega-Lite specs);
 * - `GET /api/events`: server-sent events, `event: change` with `{"runs": [ids]}` when a run's files
 *   change (polled every `pollMs` while a page listens, see `watchRuns`);
 * - `GET /files/<path>`: a file of the folder as it is (records, plots, summaries).
 *
 * Files are read only from the folder: a path that tries to leave it (`../`, `%2e%2e/`, an
 * absolute path, a symlink pointing out) gets 404, as does a run id that is not a run found there
 * (`insideRoot`). It binds 127.0.0.1 unless `host` says otherwise, and then answers only
 * requests addressed to this machine by name (a page elsewhere that rebinds its name to 127.0.0.1
 * gets 403). Only GET and HEAD are served.
 * @example
 * ```ts
 * const dashboard = await startDashboard({ dir: 'runs', port: 8377 });
 * console.log(dashboard.url); // http://127.0.0.1:8377/
 * await dashboard.close();
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const who = 'startDashboard';
  const { dir, host = '127.0.0.1', pollMs = 500 } = options;
  const port = checkInteger(who, 'port', options.port ?? 0, { min: 0, max: 65_535 });
  checkPositiveInteger(who, 'pollMs', pollMs);
  if (typeof dir !== 'string' || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`${who}: dir must be a folder, got ${JSON.stringify(dir)}`);
  }
  const root = realpathSync(dir);
  const pageDir = options.pageDir ?? dashboardPageDir();
  const pageRoot = existsSync(join(pageDir, 'index.html')) ? realpathSync(pageDir) : null;
  const clients = new Set<ServerResponse>();
  let stopWatching: (() => void) | null = null;
  let hosts: Set<string> | null = null;

  const listen = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\nevent: hello\ndata: {}\n\n');
    clients.add(res);
    stopWatching ??= watchRuns(root, pollMs, (change) => {
      const message = `event: change\ndata: ${JSON.stringify(change)}\n\n`;
      for (const c of clients) c.write(message);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    req.on('close', () => {
      clearInterval(ping);
      clients.delete(res);
      if (clients.size === 0) {
        stopWatching?.();
        stopWatching = null;
      }
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (hosts !== null && !hosts.has(req.headers.host ?? '')) return send(res, 403, 'this dashboard answers only requests addressed to 127.0.0.1 or localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'the dashboard is read-only: GET and HEAD only');
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    if (path === '/api/runs') return json(res, { folder: basename(root), runs: findRuns(root) });
    if (path === '/api/run') {
      const entry = findRuns(root).find((r) => r.id === query.get('id'));
      if (entry === undefined) return send(res, 404, 'no such run');
      return json(res, runView(entry.id === '' ? root : join(root, ...entry.id.split('/')), entry));
    }
    if (path === '/api/events') return listen(req, res);
    if (path.startsWith('/files/')) return sendFile(res, insideRoot(root, path.slice('/files/'.length)), req.method === 'HEAD');
    if (path.startsWith('/api/') || path.startsWith('/files')) return send(res, 404, 'not found');
    if (pageRoot === null) return send(res, 503, `the dashboard page is not built (no ${join(pageDir, 'index.html')}): run npm run build`);
    return sendFile(res, insideRoot(pageRoot, path === '/' ? 'index.html' : path.slice(1)), req.method === 'HEAD');
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, (e as Error).message);
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, bound);
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}/`,
    close: () => new Promise<void>((resolve) => {
      stopWatching?.();
      for (const c of clients) c.end();
      clients.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
