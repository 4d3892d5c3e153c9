import type { AskTellOptimizer, Config, EvalResult, SearchSpace, Trial } from './types.js';
import { seededRandom } from '../util/random.js';
import { checkSeed } from '../util/validate.js';
import { checkResources, resultValue } from './checks.js';
import { sampleConfig, validateSearchSpace } from './searchSpace.js';

/** One round of a bracket: how many configurations, at which resource. */
export interface HyperbandRound {
  /** Configurations evaluated in this round. */
  n: number;
  /** Resource (fidelity) each is evaluated at. */
  resource: number;
}

/** A bracket of Hyperband: its index s and its successive-halving rounds. */
export interface HyperbandBracket {
  /** Bracket index, s_max down to 0. */
  s: number;
  /** Its rounds, from the most configurations at the least resource to the fewest at R. */
  rounds: HyperbandRound[];
}

/**
 * Hyperband's brackets (Li et al. 2017): `s_max = floor(log_eta(R / r))`; bracket s starts
 * `n = ceil((s_max + 1) / (s + 1) * eta^s)` configurations at `R eta^-s`, and round i keeps
 * `floor(n eta^-i)` of them at `R eta^(i-s)`. Resources are rounded to integers when `r` and `R` are.
 */
export function hyperbandBrackets(minResource: number, maxResource: number, eta = 3): HyperbandBracket[] {
  checkResources('hyperband', minResource, maxResource, eta);
  const sMax = Math.floor(Math.log(maxResource / minResource) / Math.log(eta) + 1e-9);
  const integral = Number.isInteger(minResource) && Number.isInteger(maxResource);
  const out: HyperbandBracket[] = [];
  for (let s = sMax; s >= 0; s--) {
    const n = Math.ceil(((sMax + 1) / (s + 1)) * eta ** s - 1e-9);
    const rounds: HyperbandRound[] = [];
    for (let i = 0; i <= s; i++) {
      const resource = maxResource * eta ** (i - s);
      rounds.push({ n: Math.floor(n * eta ** -i + 1e-9), resource: integral ? Math.round(resource) : resource });
    }
    out.push({ s, rounds });
  }
  return out;
}

/** Options of {@link hyperband}. */
export interface HyperbandOptions {
  /** The search space. */
  searchSpace: SearchSpace;
  /** Smallest resource r (e.g. 1 epoch). */
  minResource: number;
  /** Largest resource R. */
  maxResource: number;
  /** Halving rate; default 3. */
  eta?: number;
  /** The result key to minimise; default 'loss'. */
  objective?: string;
  /** Seed, an integer in [0, 2^32); default 0. */
  seed?: number;
}

interface Job { id: number; config: Config; value?: number }
interface LiveBracket { s: number; rounds: HyperbandRound[]; round: number; jobs: Job[]; next: number }
type HbTrial = Trial & { id: number; bracket: LiveBracket };

/**
 * Hyperband as an ask/tell optimizer: brackets run in turn (s_max down to 0, repeated), with
 * synchronous successive halving inside each: a round's best `1/eta` go on only once all of its
 * results are in. When no job of an open bracket is ready (its round awaits results), the next
 * bracket opens, so parallel workers are never idle. Ties rank the earlier trial first.
 */
export function hyperband(options: HyperbandOptions): AskTellOptimizer {
  const rand = seededRandom(checkSeed('hyperband', 'seed', options.seed ?? 0));
  return hyperbandWith(options, { sample: () => sampleConfig(options.searchSpace, rand), observe: () => {} });
}

/** Where a bracket's new configurations come from, and what it learns from results. */
export interface ConfigSampler {
  /** A new configuration for a bracket's first round. */
  sample(): Config;
  /** A result: the configuration, the resource it ran at and its value. */
  observe(config: Config, resource: number, value: number): void;
}

/** Hyperband's schedule with a pluggable sampler (random for Hyperband, a model for BOHB). */
export function hyperbandWith({ searchSpace, minResource, maxResource, eta = 3, objective = 'loss' }: HyperbandOptions, sampler: ConfigSampler): AskTellOptimizer {
  validateSearchSpace(searchSpace);
  const brackets = hyperbandBrackets(minResource, maxResource, eta);
  const open: LiveBracket[] = [];
  let nextBracket = 0;
  let nextId = 0;
  const openBracket = (): LiveBracket => {
    const b = brackets[nextBracket++ % brackets.length] as HyperbandBracket;
    const first = b.rounds[0] as HyperbandRound;
    const live: LiveBracket = { s: b.s, rounds: b.rounds, round: 0, next: 0, jobs: Array.from({ length: first.n }, () => ({ id: nextId++, config: sampler.sample() })) };
    open.push(live);
    return live;
  };
  return {
    ask: () => {
      let b = open.find((x) => x.next < x.jobs.length);
      b ??= openBracket();
      const job = b.jobs[b.next++] as Job;
      return { config: job.config, fidelity: (b.rounds[b.round] as HyperbandRound).resource, id: job.id, bracket: b } as HbTrial;
    },
    tell: (trial, result: EvalResult) => {
      const { id, bracket: b } = trial as HbTrial;
      const v = resultValue('hyperband', result, objective);
      const job = b.jobs.find((j) => j.id === id);
      if (job === undefined || (b.rounds[b.round] as HyperbandRound).resource !== trial.fidelity) return; // a stale result
      job.value = v;
      sampler.observe(job.config, trial.fidelity as number, v);
      if (b.next < b.jobs.length || b.jobs.some((j) => j.value === undefined)) return;
      if (b.round + 1 >= b.rounds.length) {
        open.splice(open.indexOf(b), 1);
        return;
      }
      const keep = (b.rounds[b.round + 1] as HyperbandRound).n;
      const ranked = [...b.jobs].sort((x, y) => (x.value as number) - (y.value as number) || x.id - y.id);
      b.round++;
      b.next = 0;
      b.jobs = ranked.slice(0, keep).map((j) => ({ id: j.id, config: j.config }));
    },
  };
}
