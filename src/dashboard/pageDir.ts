import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built dashboard page lies: `dist/dashboard` in hypergrad's package (the nearest
 * `package.json` named `hypergrad` above this file, which runs from `src/` in tests and from
 * `dist/src/` once built). `npm run build` writes it there with Vite (`src/dashboard/page/vite.config.mts`).
 */
export function dashboardPageDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'hypergrad') return join(dir, 'dist', 'dashboard');
    if (dirname(dir) === dir) throw new Error('hypergrad dashboard: cannot find hypergrad\'s package.json above its files');
  }
}
