import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hyperCleaningProblem } from '../../problems/hyperCleaning.js';
import { l2HpoProblem } from '../../problems/l2Hpo.js';
import { lrWdTuningProblem } from '../../problems/lrWdTuning.js';
import { metaWeightNetProblem } from '../../problems/metaWeightNet.js';
import { sinusoidProblem } from '../../problems/sinusoid.js';
import { threeLevelProblem } from '../../problems/threeLevel.js';
import type { ProblemReport, ProblemSpec } from '../../problems/types.js';
import { describeBackend, initBackend } from '../backend/initBackend.js';
import { withDefaults } from '../multilevel/hypergradients/index.js';
import type { HypergradientOptions } from '../multilevel/hypergradients/types.js';
import { barChartSvg, incumbentPlotSvg, svgToPng } from '../simulator/plot.js';
import { parseFlags } from './hpo.js';
import { progressBar } from './progress.js';

/** The ready-made problems the CLI runs. */
export const PROBLEM_TABLE: readonly ProblemSpec[] = [hyperCleaningProblem as ProblemSpec, l2HpoProblem as ProblemSpec, lrWdTuningProblem as ProblemSpec, metaWeightNetProblem as ProblemSpec,
  sinusoidProblem as ProblemSpec, threeLevelProblem as ProblemSpec];
/** Their names. */
export const PROBLEMS = PROBLEM_TABLE.map((p) => p.name);

/** A method with its defaults (`alpha`: the problem's Neumann/fixed-point step, below 2 / lambda_max of the inner Hessian). */
export function defaultMethod(name: string, iterations: number | undefined, alpha: number | undefined, problemAlpha: number): HypergradientOptions {
  return withDefaults(name, { iterations, alpha, seriesStep: problemAlpha });
}

export const RUN_USAGE = `usage: hypergrad run <problem> [--method NAME] [--iterations N] [--alpha A] [--outer-steps N] [--inner-steps N] [--seed S] [--out DIR]
       hypergrad compare <problem> [--methods LIST] [--outer-steps N] [--inner-steps N] [--seed S] [--out DIR]

problems: ${PROBLEMS.join(', ')}
methods:  unrolled, neumann, cg, fixedPoint, finiteDifference, firstOrder
  --method / --methods   hypergradient method(s); run default: the problem's (cg, or unrolled for lr-wd-tuning,
                         meta-weight-net and sinusoid); compare default: unrolled,neumann,cg,finiteDifference,firstOrder
  --iterations, --alpha  the method's iterations (truncation for unrolled) and step
  --outer-steps          hyperparameter steps (default: the problem's; fewer for compare)
  --inner-steps          inner steps per outer step (default: the problem's)
  --seed                 data split and corruption seed (default 0)
  --out                  output directory (default runs/<problem>)`;

function int(flag: string, v: string | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min)) throw new Error(`--${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function problemByName(p: string | undefined): ProblemSpec {
  const spec = PROBLEM_TABLE.find((x) => x.name === p);
  if (spec === undefined) throw new Error(`unknown problem '${p ?? ''}'; problems: ${PROBLEMS.join(', ')}`);
  return spec;
}


/** `hypergrad list`. */
export function listCommand(out: NodeJS.WritableStream): number {
  out.write(`problems: ${PROBLEMS.join(', ')}\nmethods:  unrolled, neumann, cg, fixedPoint, finiteDifference, firstOrder\n\n`);
  for (const p of PROBLEM_TABLE) out.write(`  ${p.name.padEnd(16)} ${p.description}\n`);
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
    const spec = problemByName(problem);
    const f = parseFlags(rest, kind === 'run' ? ['method', 'iterations', 'alpha', 'outer-steps', 'inner-steps', 'seed', 'out'] : ['methods', 'outer-steps', 'inner-steps', 'seed', 'out']);
    const seed = int('seed', f.seed, 0, 0);
    const [defOuter, defInner] = spec.defaults[kind];
    const outerSteps = int('outer-steps', f['outer-steps'], defOuter);
    const innerSteps = int('inner-steps', f['inner-steps'], defInner);
    const alpha = f.alpha === undefined ? undefined : Number(f.alpha);
    if (alpha !== undefined && !(alpha > 0)) throw new Error(`--alpha must be a positive number, got '${f.alpha}'`);
    const iterations = f.iterations === undefined ? undefined : int('iterations', f.iterations, 1);
    const methods = kind === 'run'
      ? [f.method ?? spec.runMethod ?? 'cg']
      : (f.methods ?? (spec.compareMethods ?? spec.methods ?? ['unrolled', 'neumann', 'cg', 'finiteDifference', 'firstOrder']).join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unsupported = spec.methods === undefined ? [] : methods.filter((m) => !spec.methods?.includes(m));
    if (unsupported.length > 0) throw new Error(`problem '${spec.name}' supports the methods ${spec.methods?.join(', ')}; got ${unsupported.join(', ')}`);
    const options = methods.map((m) => defaultMethod(m, kind === 'run' ? iterations : undefined, kind === 'run' ? alpha : undefined, spec.defaults.alpha));
    const dir = f.out ?? join('runs', spec.name);
    mkdirSync(dir, { recursive: true });
    const backend = await initBackend();
    const base = { outerSteps, innerSteps, seed };
    const reports: ProblemReport<unknown>[] = [];
    const series = [];
    for (const method of options) {
      const r = await spec.run({ ...base, method, onOuterStep: progressBar(err, `${method.method.padEnd(16)} outer steps`) });
      reports.push(r);
      writeFileSync(join(dir, `${method.method}.jsonl`), r.history.map((h) => JSON.stringify({ method: method.method, ...h })).join('\n') + '\n');
      series.push({ label: method.method, times: r.history.map((h) => h.seconds), values: r.history.map((h) => h.validationLoss) });
    }
    const errors: { cosine: number; relativeError: number }[] = [];
    const refName = spec.reference.method === 'cg' ? `CG(${spec.reference.iterations})` : spec.reference.method;
    if (kind === 'compare' && reports.length > 0) {
      err.write(`hypergradient error against the reference (${refName}) at a common state...\n`);
      const state = (reports[0] as ProblemReport<unknown>).state;
      const ref = await spec.hypergradientAt(state, spec.reference, base);
      const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      for (const method of options) {
        const g = await spec.hypergradientAt(state, method, base);
        const dot = g.reduce((s, x, j) => s + x * (ref[j] as number), 0);
        errors.push({ cosine: norm(g) === 0 ? 0 : dot / (norm(g) * norm(ref)), relativeError: norm(g.map((x, j) => x - (ref[j] as number))) / norm(ref) });
      }
    }
    const first = reports[0] as ProblemReport<unknown>;
    const extraKeys = Object.keys(first.extras);
    const fmtMetric = (v: number) => (first.test.higherIsBetter && v <= 1 ? `${(100 * v).toFixed(1)}%` : v.toFixed(4));
    out.write(`\n${spec.name} (${describeBackend(backend)}, seed ${seed}): ${outerSteps} outer steps x ${innerSteps} inner steps\n`);
    out.write(`method             valid loss  ${first.test.name.padStart(9)}  (untuned)  ${extraKeys.map((k) => k.padStart(9)).join('  ')}  ` +
      (kind === 'compare' ? 'hypergrad cos  rel err  ' : '') + 's/outer step  peak MB\n');
    reports.forEach((r, i) => {
      out.write(`${String(options[i]?.method).padEnd(18)} ${r.validationLoss.toFixed(4).padStart(10)}  ${fmtMetric(r.test.value).padStart(9)}  ${fmtMetric(r.test.baseline).padStart(9)}  ` +
        `${extraKeys.map((k) => (r.extras[k] as number).toPrecision(3).padStart(9)).join('  ')}  ` +
        (kind === 'compare' ? `${(errors[i]?.cosine as number).toFixed(3).padStart(13)}  ${(errors[i]?.relativeError as number).toFixed(3).padStart(7)}  ` : '') +
        `${r.secondsPerOuterStep.toFixed(3).padStart(12)}  ${(r.peakBytes / 2 ** 20).toFixed(1).padStart(7)}\n`);
    });
    const rows = reports.map((r, i) => ({ method: options[i]?.method, validationLoss: r.validationLoss, test: r.test, extras: r.extras, secondsPerOuterStep: r.secondsPerOuterStep, peakBytes: r.peakBytes, ...(errors[i] ? { hypergradient: errors[i] } : {}) }));
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ problem: spec.name, backend, seed, outerSteps, innerSteps, results: rows }, null, 2)}\n`);
    const paths: string[] = [];
    const lossSvg = incumbentPlotSvg(series, { title: `${spec.name}: validation loss over wall time`, logTime: false, xLabel: 'wall time (s)', yLabel: 'validation loss' });
    const plots: [string, string][] = [['validation-loss', lossSvg]];
    if (kind === 'compare') {
      plots.push(['hypergradient-error', barChartSvg(options.map((m) => m.method), errors.map((e) => e.relativeError), { title: `${spec.name}: hypergradient relative error vs ${refName}`, yLabel: 'relative error' })]);
    }
    for (const [name, svg] of plots) {
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
