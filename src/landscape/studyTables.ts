import type { StudyComparison, StudyResult } from './landscapeStudy.js';
import { quantile } from './rankCorrelation.js';

/**
 * Huang & Li's (2023, arXiv 2311.14014) headline figures for each comparison, over their ~1,500
 * landscapes (6 models, 63 datasets), as the medians they report.
 */
export const PAPER_FIGURES: Record<StudyComparison['kind'], string> = {
  fidelity: 'Spearman > 0.85, top-10% overlap > 60%',
  task: 'Spearman > 0.65, top-10% overlap about 40%',
  split: 'Spearman > 0.7 (XGBoost 0.34, top-10% overlap 0.07)',
};

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** `median [q25, q75]` of a sample, NaNs left out. */
export function medianQuartiles(xs: readonly number[], digits = 3): string {
  return `${fmt(quantile(xs, 0.5), digits)} [${fmt(quantile(xs, 0.25), digits)}, ${fmt(quantile(xs, 0.75), digits)}]`;
}

/**
 * The comparison tables in the paper's format: one row per group and kind (and per lower fidelity
 * against the full one, or per split), medians and quartiles of Spearman, Kendall, top-gamma overlap and rank shake-up over
 * tasks (or task pairs), with the paper's figures beside them. Markdown.
 */
export function comparisonTable(result: StudyResult): string {
  const full = new Map<string, number>();
  for (const m of result.metrics) full.set(m.group, Math.max(full.get(m.group) ?? -Infinity, m.fidelity));
  const rows = new Map<string, StudyComparison[]>();
  for (const c of result.comparisons) {
    if (c.kind === 'fidelity' && !c.label.endsWith(` vs ${full.get(c.group)}`)) continue; // the paper compares with the full fidelity
    const label = c.kind === 'task' ? 'every pair of tasks' : c.label;
    const key = `${c.group}\u0000${c.kind}\u0000${label}`;
    rows.set(key, [...(rows.get(key) ?? []), c]);
  }
  const gamma = result.comparisons[0]?.gamma ?? 0.1;
  const out = [
    `| benchmark | comparison | pairs | Spearman | Kendall | top-${Math.round(gamma * 100)}% overlap | shake-up | paper (median) |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  const kindName = { fidelity: 'fidelity vs full', task: 'task vs task', split: 'split vs split' };
  for (const [key, cs] of rows) {
    const [group, kind, label] = key.split('\u0000') as [string, StudyComparison['kind'], string];
    out.push(`| ${group} | ${kindName[kind]}: ${label} | ${cs.length} | ${medianQuartiles(cs.map((c) => c.spearman))} | ${medianQuartiles(cs.map((c) => c.kendall))} | `
      + `${medianQuartiles(cs.map((c) => c.topOverlap))} | ${medianQuartiles(cs.map((c) => c.shakeUp))} | ${PAPER_FIGURES[kind]} |`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The metrics table: one row per group and fidelity, medians and quartiles over tasks of FDC,
 * lag-1 autocorrelation, correlation length, neutrality, NDC, local-optima count and share, the
 * global optimum's basin share and the mean climb length. Markdown.
 */
export function metricsTable(result: StudyResult): string {
  const rows = new Map<string, StudyResult['metrics']>();
  for (const m of result.metrics) {
    const key = `${m.group}\u0000${m.fidelity}\u0000${m.objective}`;
    rows.set(key, [...(rows.get(key) ?? []), m]);
  }
  const out = [
    '| benchmark | fidelity | landscapes | nodes | FDC | rho(1) | corr. length | neutrality | NDC | local optima | LO share | global basin | mean climb |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [key, ms] of rows) {
    const [group, fidelity] = key.split('\u0000') as [string, string];
    const col = (f: (m: StudyResult['metrics'][number]) => number, d = 3) => medianQuartiles(ms.map(f), d);
    out.push(`| ${group} | ${fidelity} | ${ms.length} | ${ms[0]?.nodes ?? 0} | ${col((m) => m.fdc)} | ${col((m) => m.autocorrelation.rho)} | ${col((m) => m.autocorrelation.correlationLength, 1)} | `
      + `${col((m) => m.neutrality)} | ${col((m) => m.ndc)} | ${col((m) => m.basins.localOptima, 0)} | ${col((m) => m.basins.localOptimaShare, 4)} | `
      + `${col((m) => m.basins.globalBasinShare)} | ${col((m) => m.basins.meanWalkLength, 1)} |`);
  }
  return `${out.join('\n')}\n`;
}

/** A metrics table with one row per landscape (CSV, for spreadsheets). */
export function metricsCsv(result: StudyResult): string {
  const head = 'landscape,group,task,fidelity,objective,nodes,best,fdc,rho1,correlation_length,neutrality,ndc,local_optima,local_optima_share,mean_basin_size,global_basin_share,mean_walk_length,lon_edges';
  const rows = result.metrics.map((m) => [
    m.name, m.group, m.task, m.fidelity, m.objective, m.nodes, m.best.value, m.fdc, m.autocorrelation.rho, m.autocorrelation.correlationLength, m.neutrality, m.ndc,
    m.basins.localOptima, m.basins.localOptimaShare, m.basins.meanBasinSize, m.basins.globalBasinShare, m.basins.meanWalkLength, m.lon.edges,
  ].map((v) => (typeof v === 'number' ? (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : '') : `"${String(v).replace(/"/g, '""')}"`)).join(','));
  return `${[head, ...rows].join('\n')}\n`;
}
