import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** A held run-folder lock: release it when the run ends (it is also released when the process exits). */
export interface RunFolderLock {
  /** Releases the lock. */
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
};

/**
 * Locks an output folder for the lifetime of a run (`DIR/.hypergrad.lock`, created atomically by
 * `link(2)`), so two runs never write into one folder: the second gets an error naming `flag`, the
 * folder and the holder. A lock left by a process of this host that no longer exists is taken over.
 */
export function lockRunFolder(dir: string, flag = '--out'): RunFolderLock {
  if (dir === '') throw new Error(`${flag} must name a folder, got ''`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`${flag} ${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const path = join(dir, '.hypergrad.lock');
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(me));
  } catch (e) {
    throw new Error(`${flag} ${dir}: the folder is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let holder: Holder | null = null;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
      } catch { /* being released */ }
      if (attempt < 3 && holder !== null && holder.host === me.host && !alive(holder.pid)) {
        try {
          unlinkSync(path); // its run was killed
        } catch { /* taken over by another process meanwhile */ }
        continue;
      }
      if (attempt < 3 && holder === null) continue;
      throw new Error(`${flag} ${dir} is in use by another run (pid ${holder?.pid ?? '?'} on ${holder?.host ?? '?'} since ${holder?.since ?? '?'}: ${holder?.command ?? ''}); use another ${flag}, or remove ${path} if that run is gone`);
    }
  } finally {
    unlinkSync(tmp);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
      if (h.pid === me.pid && h.host === me.host) unlinkSync(path);
    } catch { /* gone */ }
  };
  process.once('exit', release);
  return { release };
}
