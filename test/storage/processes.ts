import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerSummary } from '../../src/storage/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The worker fixture (runs the built library). */
export const WORKER = join(here, 'fixtures', 'worker.mjs');
/** Whether the library is built (`npm test` builds it first). */
export const BUILT = existsSync(resolve(here, '../../dist/src/storage/index.js'));

/** A spawned worker process: its handle and a promise of its summary. */
export interface WorkerProcess {
  /** The child process. */
  child: ChildProcess;
  /** Resolves with its summary line, rejects with its stderr when it exits non-zero. */
  done: Promise<WorkerSummary>;
}

/** Starts one worker process with `args`; it is killed after `timeoutMs` so a test always ends. */
export function startWorker(args: Record<string, unknown>, timeoutMs = 120_000): WorkerProcess {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<WorkerSummary>((ok, fail) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) ok(JSON.parse(out.trim().split('\n').pop() as string) as WorkerSummary);
      else fail(new Error(`worker exited with ${code ?? signal}: ${err.slice(-2000)}`));
    });
  });
  done.catch(() => {});
  return { child, done };
}
