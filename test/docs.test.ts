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

describe('the README and problems/README.md name only commands and options that exist', () => {
  it('every `hypergrad <command> --option` in their shell examples is in the command table', async () => {
    const { readFileSync } = await import('node:fs');
    const { COMMANDS } = await import('../src/cli/commands.js');
    const { kebab } = await import('../src/cli/defineCommand.js');
    let checked = 0;
    for (const file of ['README.md', 'problems/README.md']) {
      const text = readFileSync(resolve(root, file), 'utf8').replace(/\\\n\s*/g, ' ');
      for (const m of text.matchAll(/(?:^|\s)(?:hypergrad|node dist\/src\/cli\/main\.js) ([a-z]+)((?: +[^\s`|#]+)*)/gm)) {
        const parent = COMMANDS.find((c) => c.name === m[1]);
        if (parent === undefined) continue; // prose such as "hypergrad's"
        const command = parent.subcommands?.find((c) => c.name === (m[2] ?? '').trim().split(/\s+/)[0]) ?? parent;
        const flags = [...(m[2] ?? '').matchAll(/--([a-z-]+)/g)].map((f) => f[1]);
        const known = [...Object.keys(command.options).map(kebab), 'help', ...(command.experimentFile ? ['config'] : [])];
        expect(flags.filter((f) => !known.includes(f as string)), `${file}: ${m[0].trim()}`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });
});
