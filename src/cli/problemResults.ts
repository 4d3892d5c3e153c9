import { join } from 'node:path';
import type { ProblemReport, ProblemSpec } from '../../problems/types.js';
import { describeBackend } from '../backend/initBackend.js';
import { writeFileAtomic } from '../multilevel/checkpointFile.js';
import { barChartSpec } from '../plot/barChartSpec.js';
import { lineChartSpec } from '../plot/lineChartSpec.js';
import { writePlot } from '../plot/writePlot.js';

/** What `run`/`compare` measured, to print and write. */
export interface ProblemResults {
  /** Which command. */
  kind: 'run' | 'compare';
  /** The problem. */
  spec: ProblemSpec;
  /** The tfjs backend it ran on. */
  backend: string;
  /** The seed. */
  seed: number;
  /** Outer steps. */
  outerSteps: number;
  /** Inner steps per outer step. */
  innerSteps: number;
  /** The output folder. */
  dir: string;
  /** Method names, one per report. */
  methods: string[];
  /** One report per method. */
  reports: ProblemReport<unknown>[];
  /** Hypergradient agreement with the reference, per method (compare only). */
  errors: { cosine: number; relativeError: number }[];
  /** The reference's name, e.g. `CG(100)`. */
  refName: string;
}

/** Prints the table of a `run`/`compare` and writes its `summary.json` and plots (its JSON lines are written as it runs). */
export async function writeProblemResults(r: ProblemResults, out: NodeJS.WritableStream): Promise<void> {
  const { kind, spec, backend, seed, outerSteps, innerSteps, dir, methods, reports, errors, refName } = r;
  // The per-method JSON lines were appended as the run went (see runFolder.ts).
  const first = reports[0] as ProblemReport<unknown>;
  const extraKeys = Object.keys(first.extras);
  const fmtMetric = (v: number) => (first.test.higherIsBetter && v <= 1 ? `${(100 * v).toFixed(1)}%` : v.toFixed(4));
  out.write(`\n${spec.name} (${describeBackend(backend)}, seed ${seed}): ${outerSteps} outer steps x ${innerSteps} inner steps\n`);
  out.write(`method             valid loss  ${first.test.name.padStart(9)}  (untuned)  ${extraKeys.map((k) => k.padStart(9)).join('  ')}  ` +
    (kind === 'compare' ? 'hypergrad cos  rel err  ' : '') + 's/outer step  peak MB\n');
  reports.forEach((rep, i) => {
    out.write(`${String(methods[i]).padEnd(18)} ${rep.validationLoss.toFixed(4).padStart(10)}  ${fmtMetric(rep.test.value).padStart(9)}  ${fmtMetric(rep.test.baseline).padStart(9)}  ` +
      `${extraKeys.map((k) => (rep.extras[k] as number).toPrecision(3).padStart(9)).join('  ')}  ` +
      (kind === 'compare' ? `${(errors[i]?.cosine as number).toFixed(3).padStart(13)}  ${(errors[i]?.relativeError as number).toFixed(3).padStart(7)}  ` : '') +
      `${rep.secondsPerOuterStep.toFixed(3).padStart(12)}  ${(rep.peakBytes / 2 ** 20).toFixed(1).padStart(7)}\n`);
  });
  const rows = reports.map((rep, i) => ({
    method: methods[i], validationLoss: rep.validationLoss, test: rep.test, extras: rep.extras, secondsPerOuterStep: rep.secondsPerOuterStep, peakBytes: rep.peakBytes,
    ...(errors[i] ? { hypergradient: errors[i] } : {}),
  }));
  writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify({ problem: spec.name, backend, seed, outerSteps, innerSteps, results: rows }, null, 2)}\n`);
  const paths = await writePlot(join(dir, 'validation-loss'), lineChartSpec(
    reports.map((rep, i) => ({ label: methods[i] as string, x: rep.history.map((h) => h.seconds), y: rep.history.map((h) => h.validationLoss) })),
    { title: `${spec.name}: validation loss over wall time`, xLabel: 'wall time (s)', yLabel: 'validation loss', seriesTitle: 'method' },
  ));
  if (kind === 'compare') {
    paths.push(...await writePlot(join(dir, 'hypergradient-error'), barChartSpec(
      methods.map((m, i) => ({ label: m, value: errors[i]?.relativeError ?? Number.NaN })),
      { title: `${spec.name}: hypergradient relative error vs ${refName}`, yLabel: 'relative error' },
    )));
  }
  out.write(`results: ${join(dir, 'summary.json')}, per-method JSON lines in ${dir}, experiment: ${join(dir, 'experiment.json')}\nplots: ${paths.join(', ')}\n`);
}
