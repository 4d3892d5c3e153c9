import { configKey } from './searchSpace.js';
import type { AskTellOptimizer, Config, EvalResult, Trial } from './types.js';

/**
 * Rebuilding an optimizer from its history: the contract every optimizer meets, and what the
 * simulator's resume and the storage's shared studies are built on.
 *
 * **The contract.** An optimizer's state is never saved: it is a function of its options and of
 * the sequence of asks and tells it received (see `AskTellOptimizer`'s determinism contract). So a
 * fresh optimizer built with the same options, re-asked and re-told in the same order, reaches the
 * same state: `ask` returns the same trials, including every decision that must be unique (an ASHA
 * promotion, a Hyperband rung slot, a BOHB model proposal), and the same random draws. Replay
 * checks each re-asked trial against the recorded one and throws {@link ReplayMismatchError} on
 * the first difference (other options, another seed, a non-deterministic optimizer): a rebuilt
 * optimizer is never silently different.
 *
 * **What each optimizer needs replayed** (all of them: the whole interleaved history, in order):
 * - `randomSearch`: the asks (each draws the next configuration); tells are no-ops but harmless.
 * - `tpe`: the asks (random draws) and the tells (the observations, in arrival order: ties rank
 *   the earlier first).
 * - `hyperband`: the asks (which bracket and slot each trial takes; opening a bracket draws its
 *   configurations) and the tells (a round continues once all of its results are in).
 * - `asha`: the asks (promotions, new configurations) and the tells (rung entries, in order).
 * - `bohb`: as `hyperband`, the tells also feeding its per-budget model.
 * - `gradientHpo`: the asks and the self-evaluations (`Trial.evaluate`, re-run right after the
 *   replayed ask: the state is the trained weights); its recorded values are checked, and the
 *   recorded runtimes (measured wall time) are what the records keep.
 *
 * **Sharing one history between processes** (issue 15's journal): each process keeps a replica
 * (an optimizer fed the journal with {@link replayOptimizer}, then {@link ReplayedOptimizer.apply}
 * for each new event). A tell may be appended anywhere. An ask must be computed on exactly the
 * events before it: append it only if the journal still ends where the asker's replica ended
 * (compare-and-append on the position), else catch up and ask again. Then every decision is taken
 * in exactly one ask event, so each is claimed once, and every replica agrees.
 * @module
 */

/** One event of an optimizer's history, in the order it happened. */
export type OptimizerEvent = AskEvent | TellEvent;

/** An `ask` and the trial it returned (its number is its position among the asks, from 0). */
export interface AskEvent {
  /** Discriminant. */
  type: 'ask';
  /** The trial's number. */
  trial: number;
  /** The configuration asked. */
  config: Config;
  /** The fidelity asked, if any. */
  fidelity?: number;
  /** For a self-evaluating trial: the seed its evaluation received (default 0). */
  seed?: number;
}

/** A `tell` of a trial's result. */
export interface TellEvent {
  /** Discriminant. */
  type: 'tell';
  /** The trial's number (of an earlier ask). */
  trial: number;
  /** The result told. */
  result: EvalResult;
}

/** A replay found a trial other than the recorded one: the history does not come from this optimizer. */
export class ReplayMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayMismatchError';
  }
}

/** Throws {@link ReplayMismatchError} unless the re-asked `trial` is the recorded one. */
export function checkSameTrial(number: number, recorded: { config: Config; fidelity?: number }, trial: Trial, who = 'replay'): void {
  if (configKey(recorded.config) !== configKey(trial.config) || recorded.fidelity !== trial.fidelity) {
    throw new ReplayMismatchError(
      `${who}: trial ${number} was ${JSON.stringify(recorded.config)} at fidelity ${recorded.fidelity ?? 'none'}, but the rebuilt optimizer asks ` +
        `${JSON.stringify(trial.config)} at fidelity ${trial.fidelity ?? 'none'}; the history comes from other options, another seed or a non-deterministic optimizer`,
    );
  }
}

/** Throws {@link ReplayMismatchError} unless a re-run self-evaluation gave the recorded values (runtime excepted: it is measured). */
export function checkSameValues(number: number, recorded: Record<string, number>, got: EvalResult, who = 'replay'): void {
  const keys = Object.keys(got).filter((k) => k !== 'runtime');
  const same = keys.length === Object.keys(recorded).length && keys.every((k) => Object.is(got[k], recorded[k]));
  if (!same) {
    const { runtime: _r, ...values } = got;
    throw new ReplayMismatchError(
      `${who}: trial ${number}'s evaluation was re-run to rebuild the optimizer and gave ${JSON.stringify(values)}, not the recorded ${JSON.stringify(recorded)}; ` +
        'a self-evaluating optimizer needs the same backend and data to be rebuilt',
    );
  }
}

/** What a live replica's `ask` returns. */
export interface ReplicaAsk {
  /** The event to append to the journal. */
  event: AskEvent;
  /** The trial (the live object, to evaluate and to tell). */
  trial: Trial;
}

/** An optimizer rebuilt by {@link replayOptimizer}, which can take further events. */
export interface ReplayedOptimizer {
  /** The optimizer (in the state the history left it). */
  optimizer: AskTellOptimizer;
  /** The trials asked and not yet told, by number: the live objects to pass to `tell`. */
  inFlight: Map<number, Trial>;
  /** The next ask's number. */
  nextTrial: number;
  /** Applies one more event (e.g. a journal entry another process appended). */
  apply(event: OptimizerEvent): Promise<void>;
  /**
   * Asks the rebuilt optimizer for the next trial and returns it with the event to append to the
   * journal. If the append is refused (another process appended first), this replica has asked
   * ahead of the journal and must be rebuilt from it: an ask cannot be taken back.
   */
  ask(): Promise<ReplicaAsk>;
  /** Tells trial `number` (in flight) its result and returns the event to append. */
  tell(number: number, result: EvalResult): Promise<TellEvent>;
}

/**
 * Rebuilds `optimizer` (fresh, built with the history's options) by replaying `history`: each ask
 * is asked again and checked against the recorded trial, each self-evaluating trial is evaluated
 * again right after its ask (its values checked at its tell), each tell is told to the very trial
 * object the replayed ask returned. Throws {@link ReplayMismatchError} on the first difference, and
 * a plain error for a malformed history (a tell of a trial never asked, asks out of order).
 * @example
 * ```ts
 * const history: OptimizerEvent[] = [{ type: 'ask', trial: 0, config: c0, fidelity: 11 }, { type: 'tell', trial: 0, result: { loss: 0.3, runtime: 5 } }];
 * const { optimizer, nextTrial } = await replayOptimizer(asha(options), history); // asks go on from trial 1
 * ```
 */
export async function replayOptimizer(optimizer: AskTellOptimizer, history: Iterable<OptimizerEvent>): Promise<ReplayedOptimizer> {
  const inFlight = new Map<number, Trial>();
  const evaluated = new Map<number, EvalResult>();
  const unset = () => Promise.reject(new Error('replay: not ready'));
  const state: ReplayedOptimizer = {
    optimizer, inFlight, nextTrial: 0, ask: unset, tell: unset,
    apply: async (event) => {
      if (event.type === 'ask') {
        if (event.trial !== state.nextTrial) throw new Error(`replay: ask of trial ${event.trial} where trial ${state.nextTrial} comes next; the history is out of order`);
        const trial = await optimizer.ask();
        checkSameTrial(event.trial, event, trial);
        inFlight.set(event.trial, trial);
        state.nextTrial++;
        if (trial.evaluate !== undefined) evaluated.set(event.trial, await trial.evaluate({ fidelity: trial.fidelity, seed: event.seed ?? 0 }));
        return;
      }
      const trial = inFlight.get(event.trial);
      if (trial === undefined) throw new Error(`replay: tell of trial ${event.trial}, which is not in flight (never asked, or told twice)`);
      const rerun = evaluated.get(event.trial);
      if (rerun !== undefined) {
        const { runtime: _r, ...values } = event.result;
        checkSameValues(event.trial, values, rerun);
      }
      inFlight.delete(event.trial);
      evaluated.delete(event.trial);
      await optimizer.tell(trial, event.result);
    },
  };
  state.ask = async () => {
    const trial = await optimizer.ask();
    const event: AskEvent = { type: 'ask', trial: state.nextTrial, config: trial.config, ...(trial.fidelity !== undefined ? { fidelity: trial.fidelity } : {}) };
    inFlight.set(state.nextTrial++, trial);
    return { event, trial };
  };
  state.tell = async (number, result) => {
    const event: TellEvent = { type: 'tell', trial: number, result };
    await state.apply(event);
    return event;
  };
  for (const event of history) await state.apply(event);
  return state;
}
