import type { Table } from '../runView.js';

/** Which column a table is sorted by, and which way. */
export interface SortState {
  /** The column's index. */
  column: number;
  /** Largest first. */
  descending: boolean;
}

type Cell = Table['rows'][number][number];

/** A cell as shown: integers whole, other numbers to 4 significant digits (`0.5720`, `1.394e-7`), no value as blank. */
export function formatCell(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  return String(v);
}

/** Orders cells: numbers by value, then text, blanks last (either way). */
function compare(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** The rows sorted by `state` (a stable sort: ties keep the file order). */
export function sortRows(rows: Table['rows'], state: SortState | null): Table['rows'] {
  if (state === null) return rows;
  const { column, descending } = state;
  return rows.map((r, i) => ({ r, i })).sort((x, y) => {
    const a = x.r[column] ?? null;
    const b = y.r[column] ?? null;
    if (a === null || b === null) return a === b ? x.i - y.i : a === null ? 1 : -1; // blanks last both ways
    return (descending ? -compare(a, b) : compare(a, b)) || x.i - y.i;
  }).map((x) => x.r);
}

/**
 * Draws a table into `box`; with `onSort`, clicking a column's title sorts by it (again: the other
 * way), shown by `aria-sort` on the title. At most `limit` rows are drawn, with a note saying how many there are.
 */
export function renderTable(box: HTMLElement, table: Table, options: { id: string; state?: SortState | null; onSort?: (s: SortState) => void; limit?: number }): void {
  const { id, state = null, onSort, limit = Infinity } = options;
  const rows = sortRows(table.rows, state);
  const el = document.createElement('table');
  el.id = id;
  const head = el.createTHead().insertRow();
  table.columns.forEach((title, c) => {
    const th = document.createElement('th');
    th.textContent = title;
    th.scope = 'col';
    if (onSort !== undefined) {
      th.dataset.sortable = '';
      th.setAttribute('aria-sort', state?.column === c ? (state.descending ? 'descending' : 'ascending') : 'none');
      th.addEventListener('click', () => onSort({ column: c, descending: state?.column === c ? !state.descending : false }));
    }
    head.appendChild(th);
  });
  const body = el.createTBody();
  for (const row of rows.slice(0, limit)) {
    const tr = body.insertRow();
    for (const cell of row) tr.insertCell().textContent = formatCell(cell);
  }
  const wrap = document.createElement('div');
  wrap.className = 'scroll';
  wrap.appendChild(el);
  box.replaceChildren(wrap);
  if (rows.length > limit) {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = `showing ${limit} of ${rows.length} rows (sort by a column to see its ends)`;
    box.appendChild(note);
  }
}
