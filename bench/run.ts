/**
 * `npm run bench [-- <name> ...]`: runs the named benchmarks (all when none is named), printing one
 * JSON object per line: {bench, case, metric, value, unit[, baseline, ratio]}.
 */
import { autodiffBench } from './autodiff.js';
import { multilevelBench } from './multilevel.js';
import { simulatorBench } from './simulator.js';
import { hpoBench } from './hpo.js';
import { problemsBench } from './problems.js';
import { precisionBench } from './precision.js';
import { parallelBench } from './parallel.js';
import { webgpuBench } from './webgpu.js';
import { landscapeBench } from './landscape.js';
import { storageBench } from './storage.js';
import { gpBench } from './gp.js';
import { numpyBench } from './numpy.js';

const BENCHES: Record<string, () => Promise<void>> = { autodiff: autodiffBench, multilevel: multilevelBench, simulator: simulatorBench, hpo: hpoBench, problems: problemsBench, precision: precisionBench, parallel: parallelBench, webgpu: webgpuBench, landscape: landscapeBench, storage: storageBench, gp: gpBench, numpy: numpyBench };

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark(s) ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) await (BENCHES[name] as () => Promise<void>)();
