import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalResult, Objective } from '../../hpo/types.js';
import { type SimulationState as SharedState, SimulationFinished, beginSubmission, finishSubmission, initialState, releaseNext } from '../simulationState.js';
import type { SimulationRecord } from '../types.js';
import type { MultiWorkerOptions, SimulatedWorker } from './asyncSimulator.js';

/** The file store's state (released results go to per-worker mailbox files, see FileStore.mailbox). */
type FileState = SharedState;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` milliseconds (a waiting worker has nothing else to do). */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Options of the file store's workers. */
export interface FileWorkerOptions {
  /** Charge the wall time between a release and the next submission; default false. */
  chargeSamplingTime?: boolean;
  /** Give up, naming the workers that have not submitted, after this long without progress; default 60 s. */
  timeoutMs?: number;
}

/** A directory holding a multi-worker simulation shared by threads or processes. */
class FileStore {
  private readonly lockDir: string;
  private readonly statePath: string;
  readonly resultsPath: string;
  constructor(readonly dir: string, private readonly timeoutMs = 60_000) {
    this.lockDir = join(dir, 'lock');
    this.statePath = join(dir, 'state.json');
    this.resultsPath = join(dir, 'results.jsonl');
  }

  /** Worker w's mailbox: a released result is written here, atomically, for w alone to poll. */
  mailbox(w: number): string {
    return join(this.dir, `released-${w}.json`);
  }

  /** Writes `data` to `path` atomically (rename), so a reader never sees a partial file. */
  writeAtomic(path: string, data: string): void {
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  }

  read(): FileState {
    return JSON.parse(readFileSync(this.statePath, 'utf8')) as FileState;
  }

  /** Runs `fn` on the state under the directory lock, then writes the state atomically (rename). */
  update<T>(fn: (s: FileState) => T): T {
    const start = Date.now();
    let wait = 0.02;
    for (;;) {
      try {
        mkdirSync(this.lockDir);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (Date.now() - start > this.timeoutMs) {
          throw new Error(`multi-worker simulator: the lock ${this.lockDir} has been held for ${this.timeoutMs} ms (a worker crashed while holding it?); remove it to continue`);
        }
        sleep(wait);
        wait = Math.min(1, wait * 2);
      }
    }
    try {
      const s = this.read();
      const out = fn(s);
      this.writeAtomic(this.statePath, JSON.stringify(s));
      return out;
    } finally {
      rmdirSync(this.lockDir);
    }
  }
}

/**
 * Creates a file-backed multi-worker simulation in `dir` (created if needed; it must not hold one
 * already). Workers in any thread or process then join it with {@link connectFileSimulator}.
 */
export function createFileSimulator(dir: string, options: Omit<MultiWorkerOptions, 'objective' | 'resultsFile' | 'chargeSamplingTime'>): void {
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, 'state.json'))) throw new Error(`createFileSimulator: ${dir} already holds a simulation (state.json); use a fresh directory`);
  const state: FileState = initialState(options);
  writeFileSync(join(dir, 'results.jsonl'), '');
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
}

/**
 * Joins the file-backed simulation in `dir` as one worker (call once per worker thread or process).
 * `evaluate` evaluates with `objective` in this worker, then blocks until the simulated order
 * releases the result; released results are appended to `dir/results.jsonl`.
 */
export function connectFileSimulator(dir: string, objective: Objective, options: FileWorkerOptions = {}): SimulatedWorker {
  const store = new FileStore(dir, options.timeoutMs);
  if (!existsSync(join(dir, 'state.json'))) throw new Error(`connectFileSimulator: no simulation in ${dir}; call createFileSimulator first`);
  let index: number | null = null;
  let freedAt = performance.now();
  const release = (s: FileState) => {
    for (let r = releaseNext(s); r !== null; r = releaseNext(s)) {
      appendFileSync(store.resultsPath, `${JSON.stringify(r)}\n`);
      store.writeAtomic(store.mailbox(r.workerIndex), JSON.stringify(toResult(r)));
    }
  };
  return {
    evaluate: async (config, fidelity) => {
      const sampling = options.chargeSamplingTime ? (performance.now() - freedAt) / 1000 : 0;
      // One lock cycle when the objective is synchronous (evaluated under the lock), two otherwise.
      let pendingResult: EvalResult | Promise<EvalResult> | null = null;
      const sub = store.update((s) => {
        const b = beginSubmission(s, index, sampling, config, fidelity);
        const r = objective(config, { fidelity, seed: b.seed });
        if (typeof (r as Promise<EvalResult>)?.then !== 'function') {
          finishSubmission(s, b.worker, config, fidelity, r as EvalResult);
          release(s);
        } else {
          pendingResult = r;
        }
        return b;
      });
      const worker = sub.worker;
      index = worker;
      if (pendingResult !== null) {
        const result = await (pendingResult as Promise<EvalResult>);
        store.update((s) => {
          finishSubmission(s, worker, config, fidelity, result);
          release(s);
        });
      }
      const box = store.mailbox(worker);
      const s0 = store.read();
      const start = Date.now();
      let wait = 0.01;
      for (let polls = 0; ; polls++) {
        if (existsSync(box)) {
          const got = JSON.parse(readFileSync(box, 'utf8')) as EvalResult;
          unlinkSync(box);
          freedAt = performance.now();
          return got;
        }
        // The shared state is read only now and then: to stop once the run has finished, or to
        // report who is holding things up.
        if (polls % 64 === 63) {
          const s = store.read();
          if (s.finished && !existsSync(box)) throw new SimulationFinished();
          if (Date.now() - start > (options.timeoutMs ?? 60_000)) {
            const missing = s.pending.map((p, i) => (p === null && i < s.joined ? i : -1)).filter((i) => i >= 0);
            const unjoined = s.nWorkers - s.joined;
            throw new Error(
              `multi-worker simulator: no result for ${options.timeoutMs ?? 60_000} ms; waiting on worker(s) [${missing.join(', ')}]` +
                `${unjoined > 0 ? ` and ${unjoined} worker(s) that never submitted` : ''} (crashed?)`,
            );
          }
        }
        sleep(wait);
        // The cap grows with the number of workers: many polling threads would otherwise take the
        // cores from the one worker that has to move.
        wait = Math.min(0.05 * Math.max(4, s0.nWorkers), wait * 1.5);
      }
    },
  };
}

function toResult(r: SimulationRecord): EvalResult {
  return { ...r.values, runtime: r.runtime } as EvalResult;
}

/** Reads the records released so far from a file-backed simulation. */
export function fileSimulatorRecords(dir: string): SimulationRecord[] {
  return readFileSync(join(dir, 'results.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SimulationRecord);
}
