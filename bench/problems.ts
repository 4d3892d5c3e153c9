import { initBackend } from '../src/index.js';
import { PROBLEM_TABLE } from '../problems/index.js';
import { defaultMethod } from '../src/cli/methodOptions.js';
import { report } from './report.js';

/** Time per outer step (its inner steps included) per method per ready-made problem, at small sizes. */
export async function problemsBench(): Promise<void> {
  const backend = await initBackend();
  const outer: Record<string, number> = { 'hyper-cleaning': 3, 'l2-hpo': 3, 'lr-wd-tuning': 3, 'meta-weight-net': 30, sinusoid: 50, 'three-level': 2 };
  for (const spec of PROBLEM_TABLE) {
    const methods = spec.compareMethods ?? spec.methods ?? ['unrolled', 'neumann', 'cg', 'finiteDifference', 'firstOrder'];
    for (const name of methods) {
      const r = await spec.run({ method: defaultMethod(name, undefined, undefined, spec.defaults.alpha, spec.defaults.damping), outerSteps: outer[spec.name] ?? 3, innerSteps: spec.defaults.compare[1] });
      report({ bench: 'problems', case: `${spec.name}/${name}/${backend}`, metric: 'time-per-outer-step', value: r.secondsPerOuterStep * 1000, unit: 'ms' });
    }
  }
}
