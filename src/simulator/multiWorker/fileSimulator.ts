import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { EvalResult, Objective } from '../../hpo/types.js';
import { shown } from '../../util/validate.js';
import { readRecords } from '../records.js';
import { type SimulationState, SimulationFinished, abandonInFlight, beginSubmission, finishSubmission, initialState, nextToMove, releaseNext } from '../simulationState.js';
import type { RunOptions, SimulationRecord } from '../types.js';
import type { SimulatedWorker } from './asyncSimulator.js';
import { type LockOwner, sleep, withLock } from './fileLock.js';
import { heartbeatAge, startHeartbeat } from './heartbeat.js';

/** The shared state in `state.json`: the simulation's, plus who holds each worker slot. */
interface FileState extends SimulationState {
  /** The name each slot's worker was launched with, or null while the slot is free. */
  names: (string | null)[];
  /** The connection token holding each slot (its heartbeat file is `hb-<token>`), or null. */
  tokens: (string | null)[];
}

/** Options of the file store's workers. */
export interface FileWorkerOptions {
  /**
   * The worker's name as launched (e.g. `gpu-3`), used in every error and to take over its slot
   * after a crash: a worker connecting with the name of a dead worker takes its slot, and the
   * evaluation the dead one had in flight is asked again. Default `host:pid` (and `:thread N`).
   */
  name?: string;
  /** Charge the wall time between a release and the next submission; default false. */
  chargeSamplingTime?: boolean;
  /**
   * How long to wait for a worker that is dead (no heartbeat) or never joined before giving up,
   * naming it, in milliseconds; default 60,000. A live worker is waited for as long as it beats.
   */
  timeoutMs?: number;
  /** A worker whose heartbeat is older than this is dead, in milliseconds; default 10,000. */
  leaseMs?: number;
  /** How often this worker's heartbeat is renewed, in milliseconds; default `leaseMs / 5`. */
  heartbeatMs?: number;
}

/** A worker of the file store. */
export interface FileSimulatedWorker extends SimulatedWorker {
  /** The slot this worker holds, once it has submitted (its index in the records). */
  readonly slot: number | null;
  /** Stops the heartbeat: this worker leaves (its slot can be taken over). Called on any error too. */
  close(): void;
}

const statePath = (dir: string) => join(dir, 'state.json');
const resultsPath = (dir: string) => join(dir, 'results.jsonl');
const mailbox = (dir: string, w: number) => join(dir, `released-${w}.json`);
const heartbeatFile = (dir: string, token: string) => join(dir, `hb-${token}`);

/** Writes `data` to `path` atomically (rename), so a reader never sees a partial file. */
function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${threadId}.${randomUUID()}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const readState = (dir: string): FileState => JSON.parse(readFileSync(statePath(dir), 'utf8')) as FileState;

/**
 * Creates a file-backed multi-worker simulation in `dir` (created if needed). Creation is atomic:
 * of two calls on one folder exactly one succeeds, the other is told the folder holds a simulation
 * already. Workers in any thread or process then join it with {@link connectFileSimulator}.
 */
export function createFileSimulator(dir: string, options: Omit<RunOptions, 'objective' | 'resultsFile' | 'chargeSamplingTime'>): void {
  const base = initialState(options);
  const state: FileState = { ...base, names: new Array(base.nWorkers).fill(null), tokens: new Array(base.nWorkers).fill(null) };
  mkdirSync(dir, { recursive: true });
  const fail = () => new Error(`createFileSimulator: ${dir} already holds a simulation (state.json); use a fresh directory`);
  if (existsSync(statePath(dir))) throw fail();
  closeSync(openSync(resultsPath(dir), 'a')); // never truncates another simulation's results
  const tmp = `${statePath(dir)}.${process.pid}.${threadId}.${randomUUID()}`;
  writeFileSync(tmp, JSON.stringify(state));
  try {
    linkSync(tmp, statePath(dir)); // fails if state.json exists: the atomic commit point
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw fail();
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The name a worker gets when none is given: `host:pid`, and `:thread N` inside a worker thread. */
const defaultName = () => `${hostname()}:${process.pid}${threadId !== 0 ? `:thread ${threadId}` : ''}`;

/**
 * Joins the file-backed simulation in `dir` as one worker (call once per worker thread or process).
 * `evaluate` evaluates with `objective` in this worker (outside the lock), then blocks until the
 * simulated order releases the result; released results are appended to `dir/results.jsonl` as
 * they arrive.
 *
 * Liveness is by heartbeat (see `startHeartbeat`), renewed from a thread of its own: a worker busy
 * in a long evaluation is waited for, one killed stops beating and is dead after `leaseMs`. A
 * worker killed while holding the lock leaves it stale, and the next worker takes it over. The
 * waiting policy: a live worker is waited for as long as it beats; a dead worker (or one that never
 * joined) for `timeoutMs` without progress, then every waiting worker fails with an error naming
 * it. Meanwhile a replacement launched with the dead worker's `name` takes over its slot, and the
 * evaluation it had in flight is asked again (its trial number and seed are kept). Errors name the
 * workers by the names they were launched with.
 */
export function connectFileSimulator(dir: string, objective: Objective, options: FileWorkerOptions = {}): FileSimulatedWorker {
  if (!existsSync(statePath(dir))) throw new Error(`connectFileSimulator: no simulation in ${dir}; call createFileSimulator first`);
  const name = options.name ?? defaultName();
  if (typeof name !== 'string' || name === '') throw new Error(`connectFileSimulator: name must be a non-empty string, got ${shown(name)}`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const leaseMs = options.leaseMs ?? 10_000;
  const token = randomUUID();
  const heartbeat = startHeartbeat(heartbeatFile(dir, token), options.heartbeatMs ?? Math.max(10, leaseMs / 5));
  const owner: LockOwner = { token, heartbeat: heartbeat.file, name };
  const lockOptions = { leaseMs };
  let slot: number | null = null;
  let freedAt = performance.now();
  let closed = false;

  const alive = (s: FileState, w: number) => {
    const t = s.tokens[w];
    return t !== null && t !== undefined && heartbeatAge(heartbeatFile(dir, t)) <= leaseMs;
  };
  const update = <T>(fn: (s: FileState) => T): T => withLock(dir, owner, lockOptions, () => {
    const s = readState(dir);
    if (slot !== null && s.tokens[slot] !== token) {
      throw new Error(`multi-worker simulator: worker '${name}' lost its slot to a new connection (its heartbeat had expired); stop this worker`);
    }
    const out = fn(s);
    for (let r = releaseNext(s); r !== null; r = releaseNext(s)) {
      appendFileSync(resultsPath(dir), `${JSON.stringify(r)}\n`);
      writeAtomic(mailbox(dir, r.workerIndex), JSON.stringify({ ...r.values, runtime: r.runtime }));
    }
    writeAtomic(statePath(dir), JSON.stringify(s));
    return out;
  });
  /** Takes a slot at the first submission: this name's (taking it over if its holder is dead) or the next free one. */
  const join = (s: FileState): { slot: number; replaced: boolean } => {
    const mine = s.names.indexOf(name);
    if (mine >= 0) {
      if (alive(s, mine)) throw new NameTaken(`multi-worker simulator: a worker named '${name}' is already connected and alive; give each worker its own name`);
      abandonInFlight(s, mine);
      rmSync(mailbox(dir, mine), { force: true }); // released to the dead worker: already in results.jsonl
      s.tokens[mine] = token;
      return { slot: mine, replaced: true };
    }
    if (s.joined >= s.nWorkers) {
      const dead = s.names.filter((n, w) => n !== null && !alive(s, w)).map((n) => `'${n}'`);
      throw new Error(`multi-worker simulator: all ${s.nWorkers} worker slots are taken${dead.length > 0 ? `; dead: ${dead.join(', ')}, connect with one of these names to take its slot` : ''}`);
    }
    const w = s.joined++;
    s.names[w] = name;
    s.tokens[w] = token;
    return { slot: w, replaced: false };
  };
  const fail = (e: unknown): never => {
    close();
    throw e;
  };
  const close = () => {
    if (closed) return;
    closed = true;
    heartbeat.stop();
  };

  /** Blocks until this worker's mailbox holds its result; applies the waiting policy. */
  const awaitRelease = (w: number): EvalResult => {
    const box = mailbox(dir, w);
    let progress = '';
    let since = Date.now();
    let wait = 0.5;
    for (let polls = 0; ; polls++) {
      if (existsSync(box)) {
        const got = JSON.parse(readFileSync(box, 'utf8')) as EvalResult;
        rmSync(box);
        return got;
      }
      if (polls % 16 === 15) {
        const s = readState(dir);
        if (s.finished && !existsSync(box)) throw new SimulationFinished();
        const now = `${s.released}/${s.asked}/${s.tokens.join()}`;
        if (now !== progress) [progress, since] = [now, Date.now()];
        const { worker: m } = nextToMove(s);
        if (m < s.joined && alive(s, m)) since = Date.now(); // a live worker is slow, not dead: wait for it
        if (Date.now() - since > timeoutMs) {
          const dead = s.names.map((n, i) => (n !== null && !alive(s, i) && s.pending[i] === null ? `'${n}' (no heartbeat for over ${leaseMs} ms; connect a worker named '${n}' to take its slot)` : null)).filter((x) => x !== null);
          const unjoined = s.nWorkers - s.joined;
          throw new Error(`multi-worker simulator: no result for ${timeoutMs} ms; waiting on worker(s) [${dead.join(', ')}]` +
            `${unjoined > 0 ? ` and ${unjoined} worker(s) that never submitted` : ''} (crashed?)`);
        }
      }
      sleep(wait);
      wait = Math.min(50, wait * 1.5);
    }
  };

  return {
    get slot() {
      return slot;
    },
    close,
    evaluate: async (config, fidelity) => {
      if (closed) throw new Error(`multi-worker simulator: worker '${name}' was closed`);
      try {
        const sampling = options.chargeSamplingTime ? (performance.now() - freedAt) / 1000 : 0;
        const first = () => update((s) => {
          let replacedPending = false;
          if (slot === null) {
            const j = join(s);
            slot = j.slot;
            replacedPending = j.replaced && s.pending[j.slot] !== null;
          }
          if (replacedPending) return null; // the dead worker's result must arrive first
          return beginSubmission(s, slot, sampling, config, fidelity, true, `'${name}'`);
        });
        // A replacement started right after its predecessor died waits up to a lease for the old heartbeat to expire.
        const started = Date.now();
        let sub: ReturnType<typeof first> | undefined;
        while (sub === undefined) {
          try {
            sub = first();
          } catch (e) {
            if (!(e instanceof NameTaken) || Date.now() - started > 1.5 * leaseMs) throw e;
            sleep(Math.max(5, leaseMs / 20));
          }
        }
        if (sub === null) {
          awaitRelease(slot as number); // discard the predecessor's result (it is in results.jsonl)
          return await (async () => {
            const again = update((s) => beginSubmission(s, slot, sampling, config, fidelity, true, `'${name}'`));
            return finishAndWait(again.seed);
          })();
        }
        return await finishAndWait(sub.seed);
      } catch (e) {
        if (e instanceof SimulationFinished) close();
        return fail(e);
      }
      async function finishAndWait(seed: number): Promise<EvalResult> {
        const result = await objective(config, { fidelity, seed });
        update((s) => finishSubmission(s, slot as number, config, fidelity, result, `'${name}'`));
        const got = awaitRelease(slot as number);
        freedAt = performance.now();
        return got;
      }
    },
  };
}

/** A worker's name is held by a live worker (a replacement waits for its heartbeat to expire). */
class NameTaken extends Error {}

/** Reads the records released so far from a file-backed simulation (checked, see `readRecords`). */
export function fileSimulatorRecords(dir: string): SimulationRecord[] {
  return readRecords(resultsPath(dir));
}
