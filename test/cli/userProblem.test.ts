import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { built, hypergrad, root, tableDigits } from './helpers.js';

const example = resolve(root, 'dist/examples/userProblem.js');

describe.skipIf(!built)('a problem of your own from the CLI', () => {
  it('examples/userProblem.ts runs through run and compare with the same table, files and plots as a built-in problem', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hg-user-'));
    const run = hypergrad('run', example, '--method', 'cg', '--outer-steps', '3', '--inner-steps', '20', '--out', join(tmp, 'run'));
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ridge-penalty \(\w+( \([^)]*\))?, seed 0\): 3 outer steps x 20 inner steps$/m);
    expect(run.stdout).toMatch(/^method +valid loss +test MSE +\(untuned\) +penalty +s\/outer step +peak MB$/m);
    expect(tableDigits(run.stdout)[1]).toMatch(/^cg \d\.\d{4} \d\.\d{4} \d\.\d{4} \d/);
    expect(readdirSync(join(tmp, 'run')).sort()).toEqual(['cg.jsonl', 'checkpoints', 'experiment.json', 'run.json', 'summary.json', 'validation-loss.png', 'validation-loss.svg', 'validation-loss.vl.json']);
    expect(JSON.parse(readFileSync(join(tmp, 'run', 'experiment.json'), 'utf8')).problem).toBe(example);

    const compare = hypergrad('compare', example, '--methods', 'cg,neumann,firstOrder', '--outer-steps', '2', '--inner-steps', '20', '--out', join(tmp, 'cmp'));
    expect(compare.status, compare.stderr).toBe(0);
    expect(compare.stderr).toMatch(/hypergradient error against the reference \(CG\(50\)\)/);
    const rows = tableDigits(compare.stdout).slice(1).map((r) => r.split(' '));
    expect(rows.map((r) => r[0])).toEqual(['cg', 'neumann', 'firstOrder']);
    // cg(10) and neumann(20) at a state near the optimum agree with CG(50): cosine 1.000; firstOrder has no hypergradient here.
    expect(rows.map((r) => r[5])).toEqual(['1.000', '1.000', '0.000']);
    expect(readdirSync(join(tmp, 'cmp'))).toEqual(expect.arrayContaining(['hypergradient-error.vl.json', 'neumann.jsonl', 'summary.json']));
  });

  it('a module that exports no problem, or a malformed one, gets a clear error', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hg-user-'));
    writeFileSync(join(tmp, 'none.mjs'), 'export const data = [1, 2];\n');
    writeFileSync(join(tmp, 'bad.mjs'), "export default { name: 'mine', description: 'x', defaults: { run: [10, 5], compare: [0, 5], alpha: 1 } };\n");
    const none = hypergrad('run', join(tmp, 'none.mjs'));
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/hypergrad run: the module '.*none\.mjs' exports no problem: export a ProblemSpec as its default export .* it exports data/);
    expect(hypergrad('compare', join(tmp, 'bad.mjs')).stderr).toMatch(/problem\.defaults\.compare must be \[outer steps, inner steps\], two positive integers, got \[0,5\]/);
    expect(hypergrad('run', join(tmp, 'missing.js')).stderr).toMatch(/cannot load the problem module '.*missing\.js'/);
    expect(hypergrad('run', 'examples/userProblem.ts').stderr).toMatch(/is TypeScript: compile it to JavaScript/);
  });
});
