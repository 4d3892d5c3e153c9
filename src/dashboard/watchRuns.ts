import { type RunEntry, findRuns } from './findRuns.js';

/** What changed between two looks at a folder of runs. */
export interface RunsChange {
  /** Runs whose files changed (appended, written, added, removed), runs that appeared and runs that went. */
  runs: string[];
}

/** A run's files as one string: name, size and modification time of each. */
const signature = (r: RunEntry) => r.files.map((f) => `${f.name}:${f.size}:${f.mtimeMs}`).join('\n');

/** The runs that differ between two listings (see {@link RunsChange}). */
export function changedRuns(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => before.get(id) !== after.get(id)).sort();
}

/** Each run's {@link signature}, by id. */
export const signatures = (runs: readonly RunEntry[]): Map<string, string> => new Map(runs.map((r) => [r.id, signature(r)]));

/**
 * Watches a folder of runs by polling: every `intervalMs` it lists the runs ({@link findRuns}) and
 * compares each file's size and modification time with the last look, calling `onChange` with the
 * runs that changed. Polling file sizes is what works alike on every file system (`fs.watch` is not
 * recursive on Linux in Node 20, and misses writes on network and container mounts); one look costs
 * a `stat` per file. Returns a function that stops watching.
 * @example
 * ```ts
 * const stop = watchRuns(realpathSync('runs'), 500, ({ runs }) => console.log('changed:', runs));
 * ```
 */
export function watchRuns(root: string, intervalMs: number, onChange: (change: RunsChange) => void): () => void {
  let last = signatures(findRuns(root));
  const timer = setInterval(() => {
    const now = signatures(findRuns(root));
    const runs = changedRuns(last, now);
    last = now;
    if (runs.length > 0) onChange({ runs });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
