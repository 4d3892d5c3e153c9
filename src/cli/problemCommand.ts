/**
 * `hypergrad run <problem>` and `hypergrad compare <problem>`: train a problem (built-in, or a
 * user's module) with one or several hypergradient methods, print the table, and write the
 * resolved experiment, per-method JSON lines, `summary.json` and the plots into the output folder.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ProblemReport } from '../../problems/types.js';
import { PROBLEMS } from '../../problems/index.js';
import { initBackend } from '../backend/initBackend.js';
import type { EngineCheckpoint } from '../multilevel/checkpoint.js';
import { loadCheckpointFile, saveCheckpointFile, writeFileAtomic } from '../multilevel/checkpointFile.js';
import type { HypergradientOptions } from '../multilevel/hypergradients/types.js';
import { type ProgressMode, progressReporter } from '../progress/progressReporter.js';
import { defineCommand, progressOption, option } from './defineCommand.js';
import { writeExperimentFile } from './experimentFile.js';
import { CLI_METHODS, defaultMethod } from './methodOptions.js';
import { integerAtLeast, list, positiveNumber, seedValue, switchValue, text } from './optionValues.js';
import { writeProblemResults } from './problemResults.js';
import { type LearningRates, checkLearningRates, learningRatesValue } from './learningRateOption.js';
import { type RunFolder, folderMode, openRunFolder } from './runFolder.js';
import { resolveProblem } from './userProblem.js';

/** The options `run` and `compare` share. */
const common = {
  outerSteps: option(integerAtLeast(1), 'hyperparameter (outer) steps', { defaultText: "the problem's; fewer for compare" }),
  innerSteps: option(integerAtLeast(1), 'inner steps per outer step', { defaultText: "the problem's" }),
  seed: option(seedValue(), 'data split and corruption seed', { default: 0 }),
  out: option(text('DIR'), 'output folder: refused when it holds files, unless --resume or --overwrite', { defaultText: 'runs/<problem>' }),
  resume: option(text('DIR'), "continue the run cut off in DIR (from its last checkpoint, with the options it started with: DIR's experiment.json)"),
  overwrite: option(switchValue, 'replace what an earlier run wrote into --out', { default: false }),
  checkpointEvery: option(integerAtLeast(1), 'outer steps between checkpoints (what --resume continues from)', { default: 1 }),
  lr: option(learningRatesValue, 'learning rates by problem name, e.g. outer=0.1 (an unknown name lists the problem\'s)', { defaultText: "the problem's" }),
  progress: progressOption('auto'),
};

const problemArgument = {
  name: 'problem', required: true, completions: () => PROBLEMS,
  description: `a ready-made problem (${PROBLEMS.join(', ')}) or a path to a module exporting a ProblemSpec (./myProblem.js)`,
};

const helpAfter = () => `problems: ${PROBLEMS.join(', ')}, or ./yourProblem.js (see examples/userProblem.ts)\nmethods:  ${CLI_METHODS.join(', ')}`;

/** Cosine and relative error of `g` against the reference `ref`. */
function agreement(g: readonly number[], ref: readonly number[]): { cosine: number; relativeError: number } {
  const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const dot = g.reduce((s, x, j) => s + x * (ref[j] as number), 0);
  return { cosine: norm(g) === 0 ? 0 : dot / (norm(g) * norm(ref)), relativeError: norm(g.map((x, j) => x - (ref[j] as number))) / norm(ref) };
}

interface Resolved {
  kind: 'run' | 'compare';
  problem: string;
  methods: string[];
  iterations: number | undefined;
  alpha: number | undefined;
  outerSteps: number | undefined;
  innerSteps: number | undefined;
  seed: number;
  out: string | undefined;
  resume: string | undefined;
  overwrite: boolean;
  checkpointEvery: number;
  lr: LearningRates | undefined;
  progress: ProgressMode;
}

/** The command line a run's records carry: the resolved experiment, as flags. */
function commandOf(r: Resolved, methods: readonly string[], outerSteps: number, innerSteps: number, dir: string): string {
  const flags: [string, unknown][] = [
    [r.kind === 'run' ? '--method' : '--methods', methods.join(',')], ['--iterations', r.iterations], ['--alpha', r.alpha],
    ['--outer-steps', outerSteps], ['--inner-steps', innerSteps], ['--seed', r.seed], ['--out', dir],
    ['--lr', r.lr === undefined ? undefined : Object.entries(r.lr).map(([k, v]) => `${k}=${v}`).join(',')],
  ];
  return ['hypergrad', r.kind, r.problem, ...flags.filter(([, v]) => v !== undefined).map(([f, v]) => `${f} ${String(v)}`)].join(' ');
}

/**
 * Trains with one method inside the run folder: its history appended line by line to
 * `<method>.jsonl` as recorded, a checkpoint every `--checkpoint-every` outer steps
 * (`checkpoints/<method>.json`), and its report kept in `checkpoints/<method>.report.json` once done. A resumed run reads a finished method's report back,
 * continues a cut-off one from its checkpoint (its JSON lines cut back to the checkpoint's), and
 * starts the others.
 */
async function runMethod(folder: RunFolder, spec: ProblemSpecLike, method: HypergradientOptions, base: { outerSteps: number; innerSteps: number; seed: number; learningRates?: LearningRates },
  every: number, onOuterStep: (step: number, total: number, loss: number | undefined) => void): Promise<ProblemReport<unknown>> {
  const name = method.method;
  const reportPath = join(folder.dir, 'checkpoints', `${name}.report.json`);
  const checkpointPath = join(folder.dir, 'checkpoints', `${name}.json`);
  if (folder.resumed && existsSync(reportPath)) return JSON.parse(readFileSync(reportPath, 'utf8')) as ProblemReport<unknown>;
  const from: EngineCheckpoint | undefined = folder.resumed && existsSync(checkpointPath) ? loadCheckpointFile(checkpointPath) : undefined;
  const done = ((from?.user as { history?: object[] } | undefined)?.history ?? []);
  folder.rewrite(`${name}.jsonl`, done.map((h) => ({ method: name, ...h })));
  mkdirSync(join(folder.dir, 'checkpoints'), { recursive: true });
  const report = await spec.run({
    ...base, method, onOuterStep, onHistory: (h) => folder.append(`${name}.jsonl`, { method: name, ...h }),
    checkpoint: { every, save: (c) => saveCheckpointFile(checkpointPath, c), ...(from !== undefined ? { from } : {}) },
  });
  writeFileAtomic(reportPath, JSON.stringify(report));
  rmSync(checkpointPath, { force: true });
  return report;
}

type ProblemSpecLike = Awaited<ReturnType<typeof resolveProblem>>['spec'];

async function runProblem(r: Resolved, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream }): Promise<number> {
  const { spec, source } = await resolveProblem(r.problem);
  const [defOuter, defInner] = spec.defaults[r.kind];
  const outerSteps = r.outerSteps ?? defOuter;
  const innerSteps = r.innerSteps ?? defInner;
  const methods = r.methods.length > 0 ? r.methods : r.kind === 'run' ? [spec.runMethod ?? 'cg'] : [...(spec.compareMethods ?? spec.methods ?? CLI_METHODS)];
  const unsupported = spec.methods === undefined ? [] : methods.filter((m) => !spec.methods?.includes(m));
  if (unsupported.length > 0) throw new Error(`problem '${spec.name}' supports the methods ${spec.methods?.join(', ')}; got ${unsupported.join(', ')}`);
  const options = methods.map((m) => defaultMethod(m, r.iterations, r.alpha, spec.defaults.alpha, spec.defaults.damping));
  checkLearningRates(`hypergrad ${r.kind}`, spec.name, r.lr, spec.learningRates);
  const mode = folderMode(`hypergrad ${r.kind}`, r.resume !== undefined, r.overwrite);
  const dir = r.resume ?? r.out ?? join('runs', spec.name);
  const folder = openRunFolder({ dir, mode, kind: r.kind, seed: r.seed, command: commandOf(r, methods, outerSteps, innerSteps, dir) });
  try {
    if (mode !== 'resume') {
      writeExperimentFile(dir, r.kind, {
        problem: source, ...(r.kind === 'run' ? { method: methods[0], iterations: r.iterations, alpha: r.alpha } : { methods }),
        outerSteps, innerSteps, seed: r.seed, out: dir, checkpointEvery: r.checkpointEvery, lr: r.lr,
      });
    }
    return await trainAndReport(r, io, { spec, folder, options, outerSteps, innerSteps });
  } finally {
    folder.release();
  }
}

async function trainAndReport(r: Resolved, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
  { spec, folder, options, outerSteps, innerSteps }: { spec: ProblemSpecLike; folder: RunFolder; options: HypergradientOptions[]; outerSteps: number; innerSteps: number }): Promise<number> {
  const dir = folder.dir;
  const backend = await initBackend();
  const base = { outerSteps, innerSteps, seed: r.seed, ...(r.lr !== undefined ? { learningRates: r.lr } : {}) };
  const reports: ProblemReport<unknown>[] = [];
  for (const method of options) {
    const bar = progressReporter({ label: `${method.method.padEnd(16)} outer steps`, total: outerSteps, unit: 'step', stream: io.err, mode: r.progress });
    try {
      reports.push(await runMethod(folder, spec, method, base, r.checkpointEvery, (step, _total, loss) => bar.update(step, loss === undefined ? '' : `valid ${loss.toFixed(4)}`)));
    } finally {
      bar.stop();
    }
  }
  const errors: { cosine: number; relativeError: number }[] = [];
  const refName = spec.reference.method === 'cg' ? `CG(${spec.reference.iterations})` : spec.reference.method;
  if (r.kind === 'compare' && reports.length > 0) {
    io.err.write(`hypergradient error against the reference (${refName}) at a common state...\n`);
    const state = (reports[0] as ProblemReport<unknown>).state;
    const ref = await spec.hypergradientAt(state, spec.reference, base);
    for (const method of options) errors.push(agreement(await spec.hypergradientAt(state, method, base), ref));
  }
  await writeProblemResults({ kind: r.kind, spec, backend, seed: r.seed, outerSteps, innerSteps, dir, methods: options.map((o: HypergradientOptions) => o.method), reports, errors, refName }, io.out);
  return 0;
}

/** `hypergrad run <problem>`: one hypergradient method. */
export const runCommand = defineCommand({
  name: 'run',
  summary: 'run a problem with one hypergradient method',
  description: 'Trains a problem with one hypergradient method; prints the validation loss, the held-out metric against the untuned baseline, ' +
    'time and memory; writes experiment.json, <method>.jsonl, summary.json and a validation-loss plot (SVG, PNG, Vega-Lite spec) to --out.',
  arguments: [problemArgument],
  experimentFile: true,
  options: {
    method: option(text('NAME'), 'hypergradient method', { defaultText: "the problem's: cg, or unrolled for lr-wd-tuning, meta-weight-net and sinusoid" }),
    iterations: option(integerAtLeast(1), "the method's iterations (the truncation for unrolled)", { defaultText: 'cg 10, neumann/fixedPoint 20' }),
    alpha: option(positiveNumber('A'), 'the Neumann/fixed-point step, or the finite-difference step', { defaultText: "the problem's" }),
    ...common,
  },
  helpAfter,
  run: ({ args, options: o, io }) => runProblem({
    kind: 'run', problem: args.problem as string, methods: o.method === undefined ? [] : [o.method], iterations: o.iterations, alpha: o.alpha,
    outerSteps: o.outerSteps, innerSteps: o.innerSteps, seed: o.seed, out: o.out, resume: o.resume, overwrite: o.overwrite, checkpointEvery: o.checkpointEvery, lr: o.lr, progress: o.progress,
  }, io),
});

/** `hypergrad compare <problem>`: several methods, and their hypergradients against a reference. */
export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'compare hypergradient methods on a problem',
  description: 'Trains a problem with each method, then compares their hypergradients at a common state with the problem\'s reference ' +
    '(cosine, relative error); writes what run writes plus a hypergradient-error plot.',
  arguments: [problemArgument],
  experimentFile: true,
  options: {
    methods: option(list('LIST'), 'comma-separated hypergradient methods', { defaultText: "the problem's compare list, else every method it supports" }),
    ...common,
  },
  helpAfter,
  run: ({ args, options: o, io }) => runProblem({
    kind: 'compare', problem: args.problem as string, methods: o.methods ?? [], iterations: undefined, alpha: undefined,
    outerSteps: o.outerSteps, innerSteps: o.innerSteps, seed: o.seed, out: o.out, resume: o.resume, overwrite: o.overwrite, checkpointEvery: o.checkpointEvery, lr: o.lr, progress: o.progress,
  }, io),
});
