import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from './runView.js';

/** What the dashboard shows of a `run` or `compare` folder, besides its charts. */
export interface ProblemView {
  /** One hypergradient method (`run`) or several compared (`compare`). */
  kind: 'run' | 'compare';
  /** The problem, from `summary.json` (`null` before the run has written it). */
  problem: string | null;
  /**
   * One row per method, the columns of the CLI's table: method, validation loss, the held-out
   * metric and its untuned baseline, the problem's extras, hypergradient cosine and relative error
   * against the reference (compare), seconds per outer step, peak MB. Empty before `summary.json`.
   */
  results: Table;
  /** What could not be read, with why. */
  errors: string[];
}

interface SummaryRow {
  method: string;
  validationLoss: number;
  test: { name: string; value: number; baseline: number };
  extras?: Record<string, number>;
  secondsPerOuterStep: number;
  peakBytes: number;
  hypergradient?: { cosine: number; relativeError: number };
}

/**
 * Reads the results table of a `hypergrad run|compare` folder from its `summary.json` (written
 * when the run ends, with the per-method records and the plots).
 */
export function problemRunView(dir: string, kind: 'run' | 'compare', hasSummary: boolean): ProblemView {
  const empty: ProblemView = { kind, problem: null, results: { columns: [], rows: [] }, errors: [] };
  if (!hasSummary) return empty;
  let summary: { problem?: unknown; results?: unknown };
  try {
    summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as typeof summary;
  } catch (e) {
    return { ...empty, errors: [`summary.json: ${(e as Error).message}`] };
  }
  if (!Array.isArray(summary.results)) return { ...empty, errors: ['summary.json: no results array (not written by hypergrad run or compare)'] };
  const rows = summary.results as SummaryRow[];
  const first = rows[0];
  const extras = Object.keys(first?.extras ?? {});
  const compared = rows.some((r) => r.hypergradient !== undefined);
  const columns = ['method', 'valid loss', first?.test?.name ?? 'test', '(untuned)', ...extras,
    ...(compared ? ['hypergrad cos', 'rel err'] : []), 's/outer step', 'peak MB'];
  return {
    kind, problem: typeof summary.problem === 'string' ? summary.problem : null, errors: [],
    results: {
      columns,
      rows: rows.map((r) => [r.method, r.validationLoss, r.test?.value ?? null, r.test?.baseline ?? null, ...extras.map((k) => r.extras?.[k] ?? null),
        ...(compared ? [r.hypergradient?.cosine ?? null, r.hypergradient?.relativeError ?? null] : []), r.secondsPerOuterStep, r.peakBytes / 2 ** 20]),
    },
  };
}
