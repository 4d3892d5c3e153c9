import { type Dirent, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** What made a run: the command that wrote its folder (`other` for a folder of records or plots alone). */
export type RunKind = 'hpo' | 'compare' | 'run' | 'other';

/** One file of a run folder. */
export interface RunFile {
  /** Its name in the folder. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Last modification (ms since the epoch). */
  mtimeMs: number;
}

/** A run folder under the dashboard's folder. */
export interface RunEntry {
  /** Its path under the folder, `/`-separated (`hpo/mfbranin`); `''` for the folder itself. */
  id: string;
  /** What wrote it (from `experiment.json`'s `command`, else from its file names). */
  kind: RunKind;
  /** Its resolved experiment (`experiment.json`), or `null` where there is none or it does not read as a JSON object. */
  config: Record<string, unknown> | null;
  /** Its files (not its subfolders), by name. */
  files: RunFile[];
  /** The newest modification time of its files (ms since the epoch). */
  updated: number;
}

/** Folders deeper than this under the dashboard's folder are not searched. */
export const MAX_RUN_DEPTH = 6;

/** A file that makes its folder a run: a resolved experiment, a summary, records, or a chart's spec. */
const isRunFile = (name: string) => name === 'experiment.json' || name === 'summary.json' || name.endsWith('.jsonl') || name.endsWith('.vl.json');

/** `asha-seed0.jsonl`: a record file of `hypergrad hpo` (one optimizer, one seed). */
export const HPO_RECORDS = /^(.+)-seed(\d+)\.jsonl$/;

function readObject(path: string): Record<string, unknown> | null {
  try {
    const x: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function kindOf(config: Record<string, unknown> | null, files: readonly RunFile[]): RunKind {
  const command = config?.command;
  if (command === 'hpo' || command === 'compare' || command === 'run') return command;
  if (files.some((f) => HPO_RECORDS.test(f.name))) return 'hpo';
  return 'other';
}

/** The entry's target when it is a file or folder inside `root` (symlinks followed only while they stay inside). */
function follow(root: string, path: string, entry: Dirent): { dir: boolean; file: boolean } {
  if (!entry.isSymbolicLink()) return { dir: entry.isDirectory(), file: entry.isFile() };
  try {
    const real = realpathSync(path);
    if (real !== root && !real.startsWith(root + sep)) return { dir: false, file: false };
    const s = statSync(real);
    return { dir: s.isDirectory(), file: s.isFile() };
  } catch {
    return { dir: false, file: false };
  }
}

/**
 * The run folders under `root` (the folder itself included), sorted by id: every folder, down to
 * {@link MAX_RUN_DEPTH} levels, holding an `experiment.json`, a `summary.json`, records (`*.jsonl`)
 * or a chart's spec (`*.vl.json`). Hidden folders and `node_modules` are skipped; symlinks are
 * followed only where they resolve inside `root`, and a folder is visited once however it is reached.
 * @param root The folder's real path.
 * @example
 * ```ts
 * findRuns(realpathSync('runs')).map((r) => `${r.id} (${r.kind})`); // ['hpo/mfbranin (hpo)', 'l2-hpo (compare)']
 * ```
 */
export function findRuns(root: string): RunEntry[] {
  const runs: RunEntry[] = [];
  const seen = new Set<string>();
  const visit = (dir: string, id: string, depth: number) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const files: RunFile[] = [];
    const subfolders: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const path = join(dir, e.name);
      const target = follow(root, path, e);
      if (target.dir) subfolders.push(e.name);
      else if (target.file) {
        try {
          const s = statSync(path);
          files.push({ name: e.name, size: s.size, mtimeMs: s.mtimeMs });
        } catch {
          // removed while listed
        }
      }
    }
    files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (files.some((f) => isRunFile(f.name))) {
      const config = files.some((f) => f.name === 'experiment.json') ? readObject(join(dir, 'experiment.json')) : null;
      runs.push({ id, kind: kindOf(config, files), config, files, updated: Math.max(0, ...files.map((f) => f.mtimeMs)) });
    }
    if (depth < MAX_RUN_DEPTH) for (const name of subfolders.sort()) visit(join(dir, name), id === '' ? name : `${id}/${name}`, depth + 1);
  };
  visit(root, '', 0);
  return runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
