import type { FreezeThawOptimizer } from '../hpo/freezeThawBo.js';
import { kendallTau } from '../landscape/rankCorrelation.js';
import { mannWhitneyLess } from '../hpo/stats.js';
import type { Config } from '../hpo/types.js';
import type { SimulationRecord } from '../simulator/types.js';
import type { ZooBenchmark } from './zooBenchmark.js';

/** One run's scores at one point of the budget. */
export interface BudgetScores {
  /** The simulated time (seconds). */
  time: number;
  /** The incumbent's validation error minus the table's best (Infinity before any result; printed `none`). */
  regret: number;
  /**
   * Kendall tau between the surrogate's forecast of the last epoch's validation error and the
   * truth, over every tabulated configuration (model-based optimizers only; NaN for the others).
   */
  tau: number;
  /** The same over the configurations the run had evaluated by then. */
  tauEvaluated: number;
  /** Baseline any optimizer has: tau of each evaluated configuration's last observed value against the truth. */
  tauLastValue: number;
  /** Configurations evaluated by then. */
  evaluated: number;
}

/** Builds a fresh optimizer of a run (same name, benchmark and seed), for replaying its records. */
export type OptimizerFactory = (seed: number) => FreezeThawOptimizer | null;

/** The regret of a run at time `t`: the best validation error arrived by then, minus `best`. */
export function regretAt(records: readonly SimulationRecord[], t: number, best: number, objective = 'loss'): number {
  let inc = Infinity;
  for (const r of records) if (r.cumtime <= t) inc = Math.min(inc, r.values[objective] as number);
  return inc - best;
}

/**
 * Scores one run at simulated time `t`. The model's forecast is that of a fresh optimizer of the
 * run (rebuilt by `factory`, same seed) told the run's records that arrived by `t`, in arrival
 * order, then fitted from scratch (the caller's schedule): the surrogate the run would have at
 * `t`, without the warm starts of its refits.
 */
export function scoreRun(zoo: ZooBenchmark, records: readonly SimulationRecord[], t: number, seed: number, factory: OptimizerFactory): BudgetScores {
  if (zoo.finalLoss === undefined || zoo.bestLoss === undefined || zoo.candidates === undefined) throw new Error(`scoreRun: needs a tabulated zoo benchmark, got '${zoo.name}'`);
  const final = zoo.finalLoss;
  const arrived = records.filter((r) => r.cumtime <= t);
  const last = new Map<string, { config: Config; value: number }>();
  for (const r of arrived) last.set(JSON.stringify(r.config), { config: r.config, value: r.values.loss as number });
  const evaluated = [...last.values()];
  const tauLastValue = kendallTau(evaluated.map((e) => e.value), evaluated.map((e) => final(e.config)));
  let tau = Number.NaN;
  let tauEvaluated = Number.NaN;
  const opt = factory(seed);
  if (opt !== null && arrived.length > 0) {
    try {
      for (const r of arrived) opt.tell({ config: r.config, ...(r.fidelity !== undefined ? { fidelity: r.fidelity } : {}) }, { ...r.values, runtime: r.runtime });
      const pool = zoo.candidates;
      const f = opt.forecast(pool);
      tau = kendallTau(Array.from(f), pool.map(final));
      const fe = opt.forecast(evaluated.map((e) => e.config));
      tauEvaluated = kendallTau(Array.from(fe), evaluated.map((e) => final(e.config)));
    } finally {
      opt.dispose();
    }
  }
  return { time: t, regret: regretAt(arrived, t, zoo.bestLoss), tau, tauEvaluated, tauLastValue, evaluated: evaluated.length };
}

/** Per optimizer, per seed, the scores at 50% and 100% of the budget. */
export type ZooScores = Map<string, RunScores[]>;

/** One run's scores at half and all of the budget. */
export interface RunScores {
  /** At 50% of the budget. */
  half: BudgetScores;
  /** At 100%. */
  full: BudgetScores;
}

/** Scores every run of every optimizer at 50% and 100% of `budget` seconds. */
export function scoreZooRuns(zoo: ZooBenchmark, runs: ReadonlyMap<string, readonly (readonly SimulationRecord[])[]>, budget: number, factory: (name: string, seed: number) => FreezeThawOptimizer | null): ZooScores {
  const out: ZooScores = new Map();
  for (const [name, rs] of runs) {
    out.set(name, rs.map((records, seed) => ({
      half: scoreRun(zoo, records, budget / 2, seed, (s) => factory(name, s)),
      full: scoreRun(zoo, records, budget, seed, (s) => factory(name, s)),
    })));
  }
  return out;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = (s.length - 1) / 2;
  return ((s[Math.floor(m)] as number) + (s[Math.ceil(m)] as number)) / 2;
};

/** One optimizer's row of the summary: medians over seeds and one-sided Mann-Whitney p-values against the reference. */
export interface ZooSummaryRow {
  /** The optimizer. */
  optimizer: string;
  /** Median regret at 50% and 100% of the budget. */
  regret: [number, number];
  /** Median Kendall tau of the model's forecast (all configurations) at 50% and 100%. */
  tau: [number, number];
  /** p that its regret is lower than the reference's (50%, 100%). */
  pRegret: [number, number];
  /** p that its tau is higher than the reference's (50%, 100%). */
  pTau: [number, number];
}

/** Medians over seeds and Mann-Whitney tests against `reference` (default `dyhpo`). */
export function summarizeZooScores(scores: ZooScores, reference = 'dyhpo'): ZooSummaryRow[] {
  const ref = scores.get(reference);
  return [...scores].map(([optimizer, s]) => {
    const pick = (k: 'half' | 'full', f: 'regret' | 'tau') => s.map((x) => x[k][f]);
    const refPick = (k: 'half' | 'full', f: 'regret' | 'tau') => (ref ?? []).map((x) => x[k][f]).filter((v) => !Number.isNaN(v));
    const p = (k: 'half' | 'full', f: 'regret' | 'tau') => {
      const mine = pick(k, f).filter((v) => !Number.isNaN(v));
      if (ref === undefined || optimizer === reference || mine.length === 0 || refPick(k, f).length === 0) return Number.NaN;
      return f === 'regret' ? mannWhitneyLess(mine, refPick(k, f)).p : mannWhitneyLess(refPick(k, f), mine).p;
    };
    return {
      optimizer, regret: [median(pick('half', 'regret')), median(pick('full', 'regret'))], tau: [median(pick('half', 'tau')), median(pick('full', 'tau'))],
      pRegret: [p('half', 'regret'), p('full', 'regret')], pTau: [p('half', 'tau'), p('full', 'tau')],
    };
  });
}

const f4 = (x: number) => (Number.isNaN(x) ? '-' : x === Infinity ? 'none' : x.toFixed(4));
const f3 = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(3));

/** The summary as a text table. */
export function formatZooSummary(rows: readonly ZooSummaryRow[], reference = 'dyhpo'): string {
  const head = `optimizer      regret@50%  regret@100%   tau@50%  tau@100%   p(regret<${reference}) 50%/100%   p(tau>${reference}) 50%/100%`;
  return [head, ...rows.map((r) => `${r.optimizer.padEnd(13)} ${f4(r.regret[0]).padStart(11)} ${f4(r.regret[1]).padStart(12)} ${f3(r.tau[0]).padStart(9)} ${f3(r.tau[1]).padStart(9)}   ${`${f3(r.pRegret[0])} / ${f3(r.pRegret[1])}`.padStart(22)}   ${`${f3(r.pTau[0])} / ${f3(r.pTau[1])}`.padStart(19)}`)].join('\n');
}
