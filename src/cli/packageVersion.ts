import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** hypergrad's version, from the nearest `package.json` above this file (in `src/` or in `dist/src/`). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hypergrad' && pkg.version !== undefined) return (cached = pkg.version);
    }
    if (dirname(dir) === dir) throw new Error('hypergrad: cannot find its own package.json');
  }
}
