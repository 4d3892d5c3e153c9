import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from '../plot/chartFrame.js';
import type { RunEntry } from './findRuns.js';
import { type HpoView, hpoRunView } from './hpoRunView.js';
import { type ProblemView, problemRunView } from './problemRunView.js';

/** A table as the page draws it: column titles and rows of cells. */
export interface Table {
  /** Column titles. */
  columns: string[];
  /** Rows, one cell per column (`null`: no value). */
  rows: (string | number | boolean | null)[][];
}

/** A chart to draw: a Vega-Lite spec with its data inline, and its name (the file's, or what it plots). */
export interface NamedChart {
  /** `incumbent`, `x0 vs loss`, `validation-loss` (a `*.vl.json` file without its extension). */
  name: string;
  /** The spec, as `src/plot`'s builders make it. */
  spec: ChartSpec;
}

/** A folder of records or plots that no hypergrad command's layout describes: its charts and files only. */
export interface OtherView {
  /** Not an HPO run nor a problem run. */
  kind: 'other';
  /** What could not be read. */
  errors: string[];
}

/** Everything the dashboard shows of one run: its entry (config, files), its view by kind, and its charts. */
export type RunView = RunEntry & (HpoView | ProblemView | OtherView) & {
  /** The run's charts: those built from its records (HPO), then every `*.vl.json` in its folder. */
  charts: NamedChart[];
};

/** The specs a run folder holds (`*.vl.json`, as `writePlot` writes them beside each plot), except those in `skip`. */
function specFiles(dir: string, entry: RunEntry, skip: readonly string[], errors: string[]): NamedChart[] {
  return entry.files.filter((f) => f.name.endsWith('.vl.json') && !skip.includes(f.name)).flatMap((f) => {
    try {
      return [{ name: f.name.slice(0, -'.vl.json'.length), spec: JSON.parse(readFileSync(join(dir, f.name), 'utf8')) as ChartSpec }];
    } catch (e) {
      errors.push(`${f.name}: ${(e as Error).message}`);
      return [];
    }
  });
}

/**
 * Reads a run folder for the dashboard. An HPO run's incumbent plot is rebuilt from its records
 * (so it follows records as they are appended; `incumbent.vl.json`, written at the end, is the same
 * spec); every other chart is the `*.vl.json` the command wrote.
 * @param dir The run folder's path.
 */
export function runView(dir: string, entry: RunEntry): RunView {
  if (entry.kind === 'hpo') {
    const view = hpoRunView(dir, entry);
    return { ...entry, ...view, charts: [...view.charts, ...specFiles(dir, entry, ['incumbent.vl.json'], view.errors)] };
  }
  if (entry.kind === 'run' || entry.kind === 'compare') {
    const view = problemRunView(dir, entry.kind, entry.files.some((f) => f.name === 'summary.json'));
    return { ...entry, ...view, charts: specFiles(dir, entry, [], view.errors) };
  }
  const errors: string[] = [];
  return { ...entry, kind: 'other', errors, charts: specFiles(dir, entry, [], errors) };
}
