import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HyperCleaningOptions, type HyperCleaningState, hyperCleaning, hyperCleaningHypergradient } from '../../problems/hyperCleaning.js';
import { initBackend } from '../backend/initBackend.js';
import { HYPERGRADIENT_METHODS, type HypergradientOptions } from '../multilevel/hypergradients/types.js';
import { barChartSvg, incumbentPlotSvg, svgToPng } from '../simulator/plot.js';
import { parseFlags } from './hpo.js';

/** The ready-made problems the CLI runs. */
export const PROBLEMS = ['hyper-cleaning'] as const;

/** Each method's defaults for hyper-cleaning (neumann's alpha below 2 / lambda_max of the inner Hessian). */
export function defaultMethod(name: string, iterations?: number, alpha?: number): HypergradientOptions {
  switch (name) {
    case 'cg': return { method: 'cg', iterations: iterations ?? 10 };
    case 'neumann': return { method: 'neumann', iterations: iterations ?? 20, alpha: alpha ?? 0.05 };
    case 'fixedPoint': return { method: 'fixedPoint', iterations: iterations ?? 20, alpha: alpha ?? 0.05 };
    case 'unrolled': return iterations === undefined ? { method: 'unrolled' } : { method: 'unrolled', truncate: iterations };
    case 'finiteDifference': return { method: 'finiteDifference', ...(alpha !== undefined ? { alpha } : {}) };
    case 'firstOrder': return { method: 'firstOrder' };
    default: throw new Error(`unknown method '${name}'; accepted: ${HYPERGRADIENT_METHODS.filter((m) => m !== 'custom').join(', ')}`);
  }
}

export const RUN_USAGE = `usage: hypergrad run <problem> [--method NAME] [--iterations N] [--alpha A] [--outer-steps N] [--inner-steps N] [--seed S] [--out DIR]
       hypergrad compare <problem> [--methods LIST] [--outer-steps N] [--inner-steps N] [--seed S] [--out DIR]

problems: ${PROBLEMS.join(', ')}
methods:  unrolled, neumann, cg, fixedPoint, finiteDifference, firstOrder
  --method / --methods   hypergradient method(s); compare default: unrolled,neumann,cg,finiteDifference,firstOrder
  --iterations, --alpha  the method's iterations (truncation for unrolled) and step
  --outer-steps          hyperparameter steps (default 60 for run, 25 for compare)
  --inner-steps          inner steps per outer step (default 50 for run, 30 for compare)
  --seed                 data split and corruption seed (default 0)
  --out                  output directory (default runs/<problem>)`;

function int(flag: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min)) throw new Error(`--${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function checkProblem(p: string | undefined): void {
  if (p === undefined || !(PROBLEMS as readonly string[]).includes(p)) throw new Error(`unknown problem '${p ?? ''}'; problems: ${PROBLEMS.join(', ')}`);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `hypergrad list`. */
export function listCommand(out: NodeJS.WritableStream): number {
  out.write(`problems: ${PROBLEMS.join(', ')}\nmethods:  unrolled, neumann, cg, fixedPoint, finiteDifference, firstOrder\n`);
  return 0;
}

/** `hypergrad run <problem>` and `hypergrad compare <problem>`. */
export async function problemCommand(kind: 'run' | 'compare', args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out.write(`${RUN_USAGE}\n`);
    return 0;
  }
  try {
    const [problem, ...rest] = args;
    checkProblem(problem);
    const f = parseFlags(rest, kind === 'run' ? ['method', 'iterations', 'alpha', 'outer-steps', 'inner-steps', 'seed', 'out'] : ['methods', 'outer-steps', 'inner-steps', 'seed', 'out']);
    const seed = int('seed', f.seed, 0, 0);
    const outerSteps = int('outer-steps', f['outer-steps'], kind === 'run' ? 60 : 25);
    const innerSteps = int('inner-steps', f['inner-steps'], kind === 'run' ? 50 : 30);
    const alpha = f.alpha === undefined ? undefined : Number(f.alpha);
    if (alpha !== undefined && !(alpha > 0)) throw new Error(`--alpha must be a positive number, got '${f.alpha}'`);
    const iterations = f.iterations === undefined ? undefined : int('iterations', f.iterations, 1);
    const methods = kind === 'run'
      ? [f.method ?? 'cg']
      : (f.methods ?? 'unrolled,neumann,cg,finiteDifference,firstOrder').split(',').map((s) => s.trim()).filter((s) => s !== '');
    const options = methods.map((m) => defaultMethod(m, kind === 'run' ? iterations : undefined, kind === 'run' ? alpha : undefined));
    const dir = f.out ?? join('runs', problem as string);
    mkdirSync(dir, { recursive: true });
    const backend = await initBackend();
    const base: HyperCleaningOptions = { outerSteps, innerSteps, seed };
    const rows: Record<string, unknown>[] = [];
    const series = [];
    let reference: number[] | null = null;
    let state: HyperCleaningState | null = null;
    for (const method of options) {
      err.write(`${method.method}: training (${outerSteps} outer x ${innerSteps} inner steps)...\n`);
      const r = await hyperCleaning({ ...base, method, onFinalState: (s) => { state ??= s; } });
      rows.push({ method: method.method, ...r, history: undefined });
      writeFileSync(join(dir, `${method.method}.jsonl`), r.history.map((h) => JSON.stringify({ method: method.method, ...h })).join('\n') + '\n');
      series.push({ label: method.method, times: r.history.map((h) => h.seconds), values: r.history.map((h) => h.validationLoss) });
    }
    if (kind === 'compare' && state !== null) {
      err.write('hypergradient error against a long-run CG (100 iterations) at a common state...\n');
      reference = await hyperCleaningHypergradient(state, { method: 'cg', iterations: 100 }, base);
      const ref = reference;
      const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      for (const [i, method] of options.entries()) {
        const g = await hyperCleaningHypergradient(state, method, base);
        const dot = g.reduce((s, x, j) => s + x * (ref[j] as number), 0);
        const row = rows[i] as Record<string, unknown>;
        row.hypergradientCosine = norm(g) === 0 ? 0 : dot / (norm(g) * norm(ref));
        row.hypergradientRelativeError = norm(g.map((x, j) => x - (ref[j] as number))) / norm(ref);
      }
    }
    out.write(`\n${problem} (${backend}, seed ${seed}): ${outerSteps} outer steps x ${innerSteps} inner steps\n`);
    out.write('method             valid CE  test acc  (noisy baseline)  precision  recall  ' + (kind === 'compare' ? 'hypergrad cos  rel err  ' : '') + 's/outer step  peak MB\n');
    for (const r of rows) {
      out.write(`${String(r.method).padEnd(18)} ${(r.validationLoss as number).toFixed(4).padStart(8)}  ${pct(r.testAccuracy as number).padStart(8)}  ${pct(r.baselineTestAccuracy as number).padStart(16)}  ${(r.precision as number).toFixed(2).padStart(9)}  ${(r.recall as number).toFixed(2).padStart(6)}  ` +
        (kind === 'compare' ? `${(r.hypergradientCosine as number).toFixed(3).padStart(13)}  ${(r.hypergradientRelativeError as number).toFixed(3).padStart(7)}  ` : '') +
        `${(r.secondsPerOuterStep as number).toFixed(3).padStart(12)}  ${((r.peakBytes as number) / 2 ** 20).toFixed(1).padStart(7)}\n`);
    }
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ problem, backend, seed, outerSteps, innerSteps, results: rows }, null, 2)}\n`);
    const paths: string[] = [];
    const lossSvg = incumbentPlotSvg(series, { title: `${problem}: validation cross-entropy over wall time`, logTime: false, xLabel: 'wall time (s)', yLabel: 'validation CE' });
    for (const [name, svg] of [['validation-loss', lossSvg], ...(kind === 'compare' ? [['hypergradient-error', barChartSvg(rows.map((r) => String(r.method)), rows.map((r) => r.hypergradientRelativeError as number), { title: `${problem}: hypergradient relative error vs CG(100)`, yLabel: 'relative error' })]] : [])] as [string, string][]) {
      writeFileSync(join(dir, `${name}.svg`), svg);
      writeFileSync(join(dir, `${name}.png`), await svgToPng(svg));
      paths.push(join(dir, `${name}.svg`), join(dir, `${name}.png`));
    }
    out.write(`results: ${join(dir, 'summary.json')}, per-method JSON lines in ${dir}\nplots: ${paths.join(', ')}\n`);
    return 0;
  } catch (e) {
    err.write(`hypergrad ${kind}: ${(e as Error).message}\n`);
    return 2;
  }
}
