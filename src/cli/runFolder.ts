/**
 * Run folders that cannot be mixed: the folder a `run`, `compare` or `hpo` writes into is checked
 * before any work (a folder, writable; `--out ''` refused), refused when it already holds files
 * unless the run resumes it (`--resume DIR`) or replaces it (`--overwrite`), and locked for the
 * run's lifetime. `run.json` names the run (id, seed, command, when); every record the run writes
 * carries the id, the seed and the command, and records are appended as produced, so a kill at any
 * moment leaves a readable prefix.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../multilevel/checkpointFile.js';
import { type RunFolderLock, lockRunFolder } from '../storage/runFolderLock.js';

/** The file naming the run a folder holds. */
export const RUN_FILE = 'run.json';

/** What `run.json` holds. */
export interface RunIdentityFile {
  /** The run's id (kept when it is resumed). */
  run: string;
  /** The command: `run`, `compare` or `hpo`. */
  kind: string;
  /** The seed (for hpo: the first of its seeds). */
  seed: number;
  /** The command line that started it. */
  command: string;
  /** When it started (ISO time). */
  started: string;
  /** When it was resumed, if it was. */
  resumed?: string[];
}

/** How a run treats its folder. */
export type FolderMode = 'new' | 'resume' | 'overwrite';

/** An open run folder (see the module comment). */
export interface RunFolder {
  /** The folder. */
  readonly dir: string;
  /** The run it holds. */
  readonly identity: RunIdentityFile;
  /** Whether this process continues a run that was cut off. */
  readonly resumed: boolean;
  /** `record` with the run's id, seed and command. */
  stamp<T extends object>(record: T): { run: string; seed: number; command: string } & T;
  /** Appends one JSON line (stamped) to `file` in the folder; it is in the file when this returns. */
  append(file: string, record: object): void;
  /** Replaces `file` with these JSON lines (stamped), atomically. */
  rewrite(file: string, records: readonly object[]): void;
  /** Releases the lock. */
  release(): void;
}

/** The lock and a killed write's temporary: not a run's content. */
const LEFTOVER = /^\.hypergrad\.lock$|\.\d+\.tmp$/;

/** Files and folders a hypergrad run writes (what `--overwrite` may remove). */
const OURS = /\.(jsonl|json|svg|png|vl\.json|csv|tmp)$|^checkpoints$|^\.hypergrad\.lock$/;

/** Checks the folder named by `flag` before any work; errors name the flag, the folder and what to do. */
function checkFolder(dir: string, flag: string, mode: FolderMode): void {
  if (dir === '') throw new Error(`${flag} must name a folder, got ''`);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${flag} ${dir}: not a folder`);
  // The lock, and temporaries a kill left behind (`<file>.<pid>.tmp`), hold no run.
  const entries = existsSync(dir) ? readdirSync(dir).filter((e) => !LEFTOVER.test(e)) : [];
  if (mode === 'resume') {
    if (!existsSync(join(dir, RUN_FILE))) throw new Error(`--resume ${dir}: no run to resume there (no ${RUN_FILE}); start one with --out ${dir}`);
    return;
  }
  if (entries.length === 0) return;
  if (mode === 'new') {
    const what = existsSync(join(dir, RUN_FILE)) ? `the run ${JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')).run as string}` : `${entries.length} entries`;
    throw new Error(`${flag} ${dir} is not empty (it holds ${what}); pass --resume ${dir} to continue it, --overwrite to replace it, or choose another folder`);
  }
  const foreign = entries.filter((e) => !OURS.test(e));
  if (foreign.length > 0) throw new Error(`${flag} ${dir}: --overwrite replaces only what hypergrad writes, and the folder also holds ${foreign.slice(0, 3).join(', ')}; choose another folder`);
}

/**
 * Opens the run folder `dir` (named by `flag` in errors): checked, created, locked for the run's
 * lifetime (a second run into it is refused while this one lives), and named by `run.json`: a new
 * run gets a fresh id; a resumed one keeps its id, seed and command (so the records it appends
 * equal those of a run never cut off); `overwrite` first removes what an earlier run wrote.
 */
export function openRunFolder({ dir, flag = '--out', mode, kind, seed, command }: { dir: string; flag?: string; mode: FolderMode; kind: string; seed: number; command: string }): RunFolder {
  checkFolder(dir, mode === 'resume' ? '--resume' : flag, mode);
  let lock: RunFolderLock;
  try {
    mkdirSync(dir, { recursive: true });
    lock = lockRunFolder(dir, mode === 'resume' ? '--resume' : flag);
  } catch (e) {
    throw new Error((e as Error).message.replace(/^(?!--)/, `${flag} ${dir}: `));
  }
  try {
    let identity: RunIdentityFile;
    if (mode === 'resume') {
      identity = JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')) as RunIdentityFile;
      if (identity.kind !== kind) throw new Error(`--resume ${dir}: it holds a 'hypergrad ${identity.kind}' run, not a '${kind}' one`);
      identity = { ...identity, resumed: [...(identity.resumed ?? []), new Date().toISOString()] };
    } else {
      if (mode === 'overwrite') for (const e of readdirSync(dir)) if (e !== '.hypergrad.lock') rmSync(join(dir, e), { recursive: true, force: true });
      identity = { run: randomUUID(), kind, seed, command, started: new Date().toISOString() };
    }
    writeFileAtomic(join(dir, RUN_FILE), `${JSON.stringify(identity, null, 2)}\n`);
    const stamp = <T extends object>(r: T) => ({ run: identity.run, seed: identity.seed, command: identity.command, ...r });
    return {
      dir, identity, resumed: mode === 'resume', stamp,
      append: (file, r) => appendFileSync(join(dir, file), `${JSON.stringify(stamp(r))}\n`),
      rewrite: (file, rs) => writeFileAtomic(join(dir, file), rs.map((r) => `${JSON.stringify(stamp(r))}\n`).join('')),
      release: () => lock.release(),
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** The folder mode from `--resume`/`--overwrite` (both together are refused). */
export function folderMode(who: string, resume: boolean, overwrite: boolean): FolderMode {
  if (resume && overwrite) throw new Error(`${who}: give --resume DIR (continue a run) or --overwrite (replace one), not both`);
  return resume ? 'resume' : overwrite ? 'overwrite' : 'new';
}

/** The command line of this process, as `run.json` and the records show it. */
export function commandLine(): string {
  return ['hypergrad', ...process.argv.slice(2)].join(' ');
}
