import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('API documentation', () => {
  it('typedoc validates every export with no warnings (warnings are errors in typedoc.json)', () => {
    const r = spawnSync(process.execPath, [resolve(root, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none'], { cwd: root, encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/warning|error/i);
    expect(r.status).toBe(0);
  });
});
