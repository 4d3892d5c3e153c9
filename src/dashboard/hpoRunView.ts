import { join } from 'node:path';
import { hpoIncumbentSpec } from '../cli/hpoIncumbentSpec.js';
import type { ChartSpec } from '../plot/chartFrame.js';
import { scatterSpec } from '../plot/scatterSpec.js';
import { readRecords } from '../simulator/records.js';
import type { SimulationRecord } from '../simulator/types.js';
import { HPO_RECORDS, type RunEntry } from './findRuns.js';
import type { NamedChart, Table } from './runView.js';

/** What the dashboard shows of an HPO run (`hypergrad hpo`'s folder). */
export interface HpoView {
  /** An HPO comparison. */
  kind: 'hpo';
  /** The objective the incumbents minimise. */
  objective: string;
  /** Per optimizer, the seeds that have records, and the seeds the experiment asks for (`null` where unknown). */
  optimizers: { name: string; seeds: number[]; expected: number | null }[];
  /** One row per record: optimizer, seed, trial, arrival, worker, fidelity, the configuration, the values. */
  trials: Table;
  /** The incumbent plot (none before the first record). */
  charts: NamedChart[];
  /** One scatter plot per numeric parameter: the parameter against the objective, every record, colored by optimizer. */
  parameters: NamedChart[];
  /** Files that could not be read as records, with why. */
  errors: string[];
}

/** The objective of the records: `loss` where they have one (every built-in benchmark's first), else their first value. */
function objectiveOf(records: readonly SimulationRecord[]): string {
  const first = records[0];
  if (first === undefined || 'loss' in first.values) return 'loss';
  return Object.keys(first.values)[0] ?? 'loss';
}

/** A log axis for the objective: every value positive, spanning two orders of magnitude or more. */
function wideAndPositive(xs: readonly number[]): boolean {
  const finite = xs.filter(Number.isFinite);
  return finite.length > 0 && finite.every((x) => x > 0) && Math.max(...finite) / Math.min(...finite) >= 100;
}

/**
 * A log axis for a parameter, whose scale the records do not say: wide and positive, and sampled
 * as if log-uniformly (the median below a tenth of the largest value; a uniform parameter in
 * [0, 1] has its median near the middle, a learning rate in [1e-4, 1e-1] drawn on a log scale near 3e-3).
 */
function looksLogSampled(xs: readonly number[]): boolean {
  if (!wideAndPositive(xs)) return false;
  const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return (sorted[Math.floor(sorted.length / 2)] as number) < 0.1 * (sorted[sorted.length - 1] as number);
}

/**
 * Reads an HPO run's records (`<optimizer>-seed<k>.jsonl`, as far as they are written: a line cut
 * off mid-write is skipped) and builds its view: the incumbent plot of `hypergrad hpo`
 * ({@link hpoIncumbentSpec}, the same spec the CLI writes to `incumbent.vl.json`; while a run is
 * under way an optimizer missing seeds is labelled `asha (2/5 seeds)`), the trial table, and one
 * {@link scatterSpec} per numeric parameter against the objective, colored by optimizer.
 */
export function hpoRunView(dir: string, entry: RunEntry): HpoView {
  const errors: string[] = [];
  const runs = new Map<string, SimulationRecord[][]>();
  const seedsOf = new Map<string, number[]>();
  const rows: Table['rows'] = [];
  const files = entry.files.map((f) => ({ f, m: HPO_RECORDS.exec(f.name) })).filter((x) => x.m !== null)
    .map(({ f, m }) => ({ name: f.name, optimizer: (m as RegExpExecArray)[1] as string, seed: Number((m as RegExpExecArray)[2]) }))
    .sort((a, b) => (a.optimizer === b.optimizer ? a.seed - b.seed : a.optimizer < b.optimizer ? -1 : 1));
  const perFile: { optimizer: string; seed: number; records: SimulationRecord[] }[] = [];
  for (const file of files) {
    try {
      perFile.push({ optimizer: file.optimizer, seed: file.seed, records: readRecords(join(dir, file.name)) });
    } catch (e) {
      errors.push(`${file.name}: ${(e as Error).message}`);
    }
  }
  // Optimizers in the experiment's order, then any others.
  const configured = Array.isArray(entry.config?.optimizer) ? (entry.config.optimizer as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const names = [...new Set([...configured.filter((n) => perFile.some((p) => p.optimizer === n)), ...perFile.map((p) => p.optimizer)])];
  const all = perFile.flatMap((p) => p.records);
  const objective = objectiveOf(all);
  const params = [...new Set(all.flatMap((r) => Object.keys(r.config)))];
  const values = [...new Set([objective, ...all.flatMap((r) => Object.keys(r.values))])];
  for (const name of names) {
    const mine = perFile.filter((p) => p.optimizer === name);
    runs.set(name, mine.map((p) => p.records));
    seedsOf.set(name, mine.map((p) => p.seed));
    for (const { seed, records } of mine) {
      records.forEach((r, i) => {
        rows.push([name, seed, r.trial ?? i, r.cumtime, r.workerIndex, r.fidelity ?? null,
          ...params.map((k) => r.config[k] ?? null), ...values.map((k) => r.values[k] ?? null)]);
      });
    }
  }
  const expected = typeof entry.config?.seeds === 'number' ? entry.config.seeds : null;
  const charts: NamedChart[] = [];
  const parameters: NamedChart[] = [];
  const chart = (into: NamedChart[], name: string, make: () => ChartSpec) => {
    try {
      into.push({ name, spec: make() });
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  };
  if (all.length > 0) {
    chart(charts, 'incumbent', () => hpoIncumbentSpec(runs, {
      benchmark: typeof entry.config?.benchmark === 'string' ? entry.config.benchmark : entry.id,
      seeds: expected ?? Math.max(...names.map((n) => seedsOf.get(n)?.length ?? 0)),
      workers: typeof entry.config?.workers === 'number' ? entry.config.workers : Math.max(...all.map((r) => r.workerIndex)) + 1,
      objective,
      label: (n) => {
        const have = seedsOf.get(n)?.length ?? 0;
        return expected === null || have >= expected ? n : `${n} (${have}/${expected} seeds)`;
      },
    }));
    const ys = all.map((r) => r.values[objective] as number);
    for (const p of params) {
      const xs = all.map((r) => r.config[p]);
      if (!xs.every((x) => typeof x === 'number')) continue; // categorical parameters have no scatter axis
      chart(parameters, `${p} vs ${objective}`, () => scatterSpec(
        names.flatMap((n) => (runs.get(n) ?? []).flat().map((r) => ({ x: r.config[p] as number, y: r.values[objective] as number, group: n }))),
        { title: `${p} vs ${objective}`, xLabel: p, yLabel: objective, logX: looksLogSampled(xs as number[]), logY: wideAndPositive(ys), groupTitle: 'optimizer', width: 380, height: 300 },
      ));
    }
  }
  return {
    kind: 'hpo', objective, errors, charts, parameters,
    optimizers: names.map((n) => ({ name: n, seeds: seedsOf.get(n) ?? [], expected })),
    trials: { columns: ['optimizer', 'seed', 'trial', 'simulated time (s)', 'worker', 'fidelity', ...params, ...values], rows },
  };
}
