import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The compiled CLI (tests that spawn it skip where `npm run build` has not run). */
export const bin = resolve(root, 'dist/src/cli/main.js');
/** Whether the compiled CLI exists. */
export const built = existsSync(bin);

/** Runs `hypergrad ...args` in a child process. */
export function hypergrad(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
}

/** The table rows of a run/compare output without the time and memory columns (`s/outer step`, `peak MB`). */
export function tableDigits(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('method '));
  return lines.slice(start, lines.findIndex((l, i) => i > start && l.trim() === '' || l.startsWith('results:'))).map((l) => l.trim().split(/\s+/).slice(0, -2).join(' '));
}
