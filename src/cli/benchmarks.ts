import { lcbench, LCBENCH_TASKS } from '../simulator/benchmarks/lcbench.js';
import { mnistMlp } from '../simulator/benchmarks/mnistMlp.js';
import { mfBranin, mfHartmann } from '../simulator/benchmarks/synthetic.js';
import type { Benchmark } from '../hpo/types.js';
import { argumentError } from '../util/validate.js';
import type { ValueKind } from './optionValues.js';

/** One benchmark `hypergrad hpo --benchmark` can name. */
export interface BenchmarkEntry {
  /** Its name, or the family's prefix when `parameter` is set (`lcbench` for `lcbench:<task>`). */
  name: string;
  /** The family's parameter (`task` in `lcbench:<task>`); absent for a single benchmark. */
  parameter?: string;
  /** Builds the benchmark (with the parameter's value for a family). */
  make(parameter: string): Benchmark;
  /** It trains tensors, so the CLI initialises the backend first. */
  needsBackend?: boolean;
}

/** The benchmarks of `hypergrad hpo`: add one by adding an entry. */
export const BENCHMARKS: readonly BenchmarkEntry[] = [
  { name: 'mfbranin', make: () => mfBranin() },
  { name: 'mfhartmann3', make: () => mfHartmann(3) },
  { name: 'mfhartmann6', make: () => mfHartmann(6) },
  { name: 'lcbench', parameter: 'task', make: (task) => lcbench(task) },
  { name: 'mnist-mlp', make: () => mnistMlp(), needsBackend: true },
];

const label = (b: BenchmarkEntry) => (b.parameter === undefined ? b.name : `${b.name}:<${b.parameter}>`);

/** `mfbranin | ... | lcbench:<task>` (single benchmarks, then families) for `--help`. */
export function benchmarkHelp(): string {
  const names = [...BENCHMARKS.filter((b) => b.parameter === undefined), ...BENCHMARKS.filter((b) => b.parameter !== undefined)].map(label).join(' | ');
  return `${names}  (tasks: ${LCBENCH_TASKS.slice(0, 4).join(', ')}, ... ${LCBENCH_TASKS.length} in all)`;
}

/** A benchmark chosen by name: the entry and its parameter. */
export interface BenchmarkChoice {
  /** The table entry. */
  entry: BenchmarkEntry;
  /** The family's parameter (`3945` in `lcbench:3945`), or `''`. */
  parameter: string;
}

/** The `--benchmark` value kind: a name from {@link BENCHMARKS} (built later, by `entry.make`). */
export const benchmarkValue: ValueKind<BenchmarkChoice> = {
  placeholder: 'NAME',
  parse(raw, { who, name }) {
    const text = typeof raw === 'string' ? raw : '';
    for (const entry of BENCHMARKS) {
      if (entry.parameter === undefined ? text === entry.name : text.startsWith(`${entry.name}:`)) {
        return { entry, parameter: entry.parameter === undefined ? '' : text.slice(entry.name.length + 1) };
      }
    }
    const labels = BENCHMARKS.map(label);
    throw argumentError(who, name, `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`, raw);
  },
};

/** The benchmark `name` selects (`lcbench:3945`), built; errors as `--benchmark`'s. */
export function benchmarkByName(name: string, at = { who: 'hypergrad', name: '--benchmark' }): Benchmark {
  const { entry, parameter } = benchmarkValue.parse(name, at);
  return entry.make(parameter);
}
