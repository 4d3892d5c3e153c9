import { realpathSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * The real path of the file a URL path names under `root`, or `null` when it does not stay there.
 * `urlPath` is the raw (percent-encoded) path after the route's prefix. It is refused when it does
 * not decode (`%zz`), holds a NUL byte or a backslash, or has a `.` or `..` segment once decoded
 * (so `../`, `%2e%2e/` and `..%2f` are all refused); an absolute path (`//etc/passwd`,
 * `%2Fetc%2Fpasswd`) is read as relative to `root`. What remains must exist and, with every
 * symlink resolved, lie inside `root`'s real path: a symlink that points out of the folder is
 * refused too. The server answers 404 to every refusal, so it tells nothing about what lies outside.
 * @param root The folder's real path (`realpathSync(dir)`).
 * @param urlPath E.g. `hpo/mfbranin/asha-seed0.jsonl` or `hpo/%2e%2e/secret`.
 * @example
 * ```ts
 * insideRoot(realpathSync('runs'), 'hpo/mfbranin/summary.json'); // '/home/me/runs/hpo/mfbranin/summary.json'
 * insideRoot(realpathSync('runs'), '%2e%2e/etc/passwd');         // null
 * ```
 */
export function insideRoot(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return null;
  let real: string;
  try {
    real = realpathSync(join(root, ...segments));
  } catch {
    return null;
  }
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep) ? real : null;
}
