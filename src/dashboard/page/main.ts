/**
 * The dashboard page: the list of runs, and the chosen run's config, tables and charts, kept live by
 * the server's event stream (`/api/events`): when a run's files change, the list and (if it is the
 * one shown) the run are fetched again and only what changed is redrawn.
 * @module
 */
import type { RunEntry } from '../findRuns.js';
import type { RunView, Table } from '../runView.js';
import { Charts } from './charts.js';
import { type SortState, renderTable } from './sortableTable.js';

/** What the page exposes to end-to-end tests (and to a curious console) as `window.hypergradDashboard`. */
export interface DashboardState {
  /** The run shown, as last fetched. */
  run: RunView | null;
  /** Times a run's view has been drawn (grows with each live update). */
  renders: number;
  /** Events received from the server. */
  events: number;
  /** The names of the drawn charts. */
  charts(): string[];
  /** The data rows of a drawn chart (Vega's first data set, the spec's inline values). */
  chartData(name: string): Record<string, unknown>[] | undefined;
}

/** Rows shown of the trial table at most (sorting picks which). */
const TRIAL_ROWS = 500;

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const runs = $('runs');
const main = $('run');
const live = $('live');
const charts = new Charts();
const paramCharts = new Charts();
let list: RunEntry[] = [];
let shown: string | null = null;
let trialSort: SortState | null = null;
const state: DashboardState = {
  run: null, renders: 0, events: 0,
  charts: () => [...charts.names(), ...paramCharts.names()],
  chartData: (name) => (charts.view(name) ?? paramCharts.view(name))?.data('source_0') as Record<string, unknown>[] | undefined,
};
(window as unknown as { hypergradDashboard: DashboardState }).hypergradDashboard = state;

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** One line about a run for the list: its benchmark or problem, optimizers or methods, seeds. */
function gist(r: RunEntry): string {
  const c = r.config ?? {};
  const parts = [c.benchmark ?? c.problem, c.optimizer ?? c.methods ?? c.method, c.seeds === undefined ? undefined : `${show(c.seeds)} seeds`];
  return parts.filter((p) => p !== undefined).map((p) => (Array.isArray(p) ? p.join(', ') : show(p))).join(' · ') || `${r.files.length} files`;
}

function drawList(): void {
  runs.replaceChildren(...list.map((r) => {
    const a = el('a', { href: `#${encodeURIComponent(r.id)}` },
      el('span', { className: `kind kind-${r.kind}`, textContent: r.kind }), el('span', { className: 'id', textContent: r.id === '' ? '.' : r.id }), el('small', { textContent: gist(r) }));
    a.dataset.runId = r.id;
    a.setAttribute('aria-current', String(r.id === shown));
    return a;
  }));
  if (list.length === 0) runs.replaceChildren(el('p', { className: 'muted', textContent: ' No runs here yet (folders with experiment.json, summary.json, *.jsonl or *.vl.json).' }));
}

function configTable(config: Record<string, unknown> | null): HTMLElement {
  if (config === null) return el('p', { className: 'muted', textContent: 'No experiment.json.' });
  const t = el('table', { className: 'config', id: 'config' });
  for (const [k, v] of Object.entries(config)) {
    const row = t.insertRow();
    row.append(el('th', { textContent: k, scope: 'row' }), el('td', { textContent: Array.isArray(v) ? v.join(', ') : show(v) }));
  }
  return t;
}

/** The sections of the run shown, made once per run and filled on every update. */
interface Sections {
  id: string;
  title: HTMLElement;
  errors: HTMLElement;
  summary: HTMLElement;
  table: HTMLElement;
  charts: HTMLElement;
  params: HTMLElement;
  paramsTitle: HTMLElement;
  config: HTMLElement;
  files: HTMLElement;
}
let sections: Sections | null = null;

function skeleton(id: string): Sections {
  charts.clear();
  paramCharts.clear();
  trialSort = null;
  const s: Sections = {
    id, title: el('div'), errors: el('ul', { className: 'errors' }), summary: el('div'), table: el('div', { id: 'table' }),
    charts: el('div', { className: 'charts', id: 'charts' }), params: el('div', { className: 'charts', id: 'params' }), paramsTitle: el('h3'), config: el('div'), files: el('div', { className: 'files' }),
  };
  main.replaceChildren(s.title, s.errors, s.summary, s.charts, s.paramsTitle, s.params, s.table, el('h3', { textContent: 'Config' }), s.config, el('h3', { textContent: 'Files' }), s.files);
  return s;
}

async function drawRun(view: RunView): Promise<void> {
  if (sections?.id !== view.id) sections = skeleton(view.id);
  const s = sections;
  s.title.replaceChildren(el('h2', {}, el('span', { className: `kind kind-${view.kind}`, textContent: view.kind }), view.id === '' ? '.' : view.id),
    el('div', { className: 'muted', textContent: `updated ${new Date(view.updated).toLocaleString()}` }));
  s.errors.replaceChildren(...view.errors.map((e) => el('li', { textContent: e })));
  s.config.replaceChildren(configTable(view.config));
  s.files.replaceChildren(...view.files.map((f) => el('a', { href: `files/${[...view.id.split('/').filter((p) => p !== ''), f.name].map(encodeURIComponent).join('/')}`, textContent: `${f.name} (${(f.size / 1024).toFixed(1)} kB)` })));
  if (view.kind === 'hpo') {
    const seeds = view.optimizers.map((o) => `${o.name}: ${o.seeds.length}${o.expected === null ? '' : `/${o.expected}`} seeds`).join(', ');
    s.summary.replaceChildren(el('p', { id: 'hpo-summary', textContent: `${view.trials.rows.length} trials, objective ${view.objective}; ${seeds}` }));
    const redrawTrials = () => renderTable(s.table, view.trials, { id: 'trials', state: trialSort, limit: TRIAL_ROWS, onSort: (st) => { trialSort = st; redrawTrials(); } });
    s.table.replaceChildren();
    redrawTrials();
    s.table.prepend(el('h3', { textContent: 'Trials' }));
    s.paramsTitle.textContent = view.parameters.length > 0 ? 'Parameters against the objective' : '';
    await paramCharts.draw(s.params, view.parameters);
  } else if (view.kind === 'run' || view.kind === 'compare') {
    s.summary.replaceChildren(view.results.rows.length === 0 ? el('p', { className: 'muted', textContent: 'No results yet (summary.json is written when the run ends).' }) : el('div'));
    const table: Table = view.results;
    s.table.replaceChildren();
    if (table.rows.length > 0) {
      renderTable(s.table, table, { id: 'results' });
      s.table.prepend(el('h3', { textContent: view.problem === null ? 'Results' : `Results: ${view.problem}` }));
    }
  }
  await charts.draw(s.charts, view.charts);
  state.run = view;
  state.renders++;
}

async function refresh(changed: readonly string[] | null): Promise<void> {
  const { folder, runs: found } = await get<{ folder: string; runs: RunEntry[] }>('api/runs');
  $('folder').textContent = folder;
  list = found;
  const wanted = decodeURIComponent(location.hash.slice(1));
  const next = list.find((r) => r.id === wanted) ?? (location.hash === '' ? list[0] : undefined);
  const switched = (next?.id ?? null) !== shown;
  shown = next?.id ?? null;
  drawList();
  if (next === undefined) {
    if (location.hash !== '') main.replaceChildren(el('p', { className: 'muted', textContent: `No run '${wanted}' in this folder.` }));
    sections = null;
    return;
  }
  if (switched || changed === null || changed.includes(next.id)) await drawRun(await get<RunView>(`api/run?id=${encodeURIComponent(next.id)}`));
}

/** One refresh at a time; events arriving meanwhile are merged into the next one. */
let running: Promise<void> | null = null;
let pending: Set<string> | null | undefined;
function schedule(changed: readonly string[] | null): void {
  if (running !== null) {
    pending = pending === null || changed === null ? null : new Set([...(pending ?? []), ...changed]);
    return;
  }
  running = refresh(changed).catch((e: Error) => {
    main.prepend(el('p', { className: 'errors', textContent: e.message }));
  }).finally(() => {
    running = null;
    if (pending !== undefined) {
      const next = pending;
      pending = undefined;
      schedule(next === null ? null : [...next]);
    }
  });
}

window.addEventListener('hashchange', () => schedule(null));
const events = new EventSource('api/events');
events.addEventListener('hello', () => {
  schedule(null); // (re)connected: what changed before the server watched for this page is fetched now
  live.dataset.state = 'live';
  live.textContent = 'live';
});
events.addEventListener('change', (e) => {
  state.events++;
  schedule((JSON.parse((e as MessageEvent<string>).data) as { runs: string[] }).runs);
});
events.addEventListener('error', () => {
  live.dataset.state = 'offline';
  live.textContent = 'reconnecting';
});
schedule(null);
