import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(root, 'dist/src/cli/main.js');

describe.skipIf(!existsSync(bin))('the hypergrad command', () => {
  it('prints the version and the verified kernels', () => {
    const version = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).version;
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(version);
    const kernels = execFileSync(process.execPath, [bin, 'kernels'], { encoding: 'utf8' }).trim().split('\n');
    expect(kernels).toContain('Tanh');
    expect(kernels).toContain('Conv2DBackpropFilter');
  });

  it('rejects an unknown command with the accepted ones', () => {
    const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'; accepted: kernels, --help, --version/);
  });
});
