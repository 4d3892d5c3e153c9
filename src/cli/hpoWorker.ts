import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/initBackend.js';
import { OPTIMIZERS, makeOptimizer } from '../hpo/registry.js';
import { tpe } from '../hpo/tpe.js';
import type { Benchmark } from '../hpo/types.js';
import type { AskTellOptimizer } from '../hpo/types.js';
import { openStorage } from '../storage/openStorage.js';
import { studyProgress } from '../storage/replay.js';
import { lockRunFolder } from '../storage/runFolderLock.js';
import { runWorker } from '../storage/runWorker.js';
import { recordOfTrial } from '../storage/simulationRecords.js';
import { parseNumberFlag } from '../util/validate.js';
import { benchmarkByName, parseFlags } from './hpo.js';

/** The help of `hypergrad hpo worker`. */
export const HPO_WORKER_USAGE = `usage: hypergrad hpo worker --storage URL --study NAME --benchmark NAME --optimizer NAME [--trials N] [--seed S]
                          [--heartbeat SEC] [--max-retries K] [--max-trials M] [--out DIR]

Evaluates trials of a shared study for real (e.g. mnist-mlp trains an MLP), as one of any number
of workers on any number of machines: start the same command on each. The optimizer is rebuilt from
the study's journal in every worker; a worker that dies has its trial failed after the grace period
(2 heartbeats) and retried by another. Stops when the study has its --trials results.

  --storage      postgresql://user@host:port/db (many machines), a journal file path (one host), or memory:
  --study        the study's name (created by the first worker, joined by the others)
  --benchmark    mfbranin | mfhartmann3 | mfhartmann6 | mnist-mlp | lcbench:<task>
  --optimizer    one of: ${OPTIMIZERS.join(', ')} (tpe runs with a constant liar across workers)
  --trials       trials the study asks for (default 100; a joined study keeps its own)
  --seed         the optimizer's seed (default 0; every worker of a study must use the same)
  --heartbeat    lease renewal interval in seconds (default 5)
  --max-retries  retries of a trial whose worker died (default 3)
  --max-trials   stop this worker after M trials
  --out          also append the trials this worker finishes to DIR/records.jsonl (DIR is locked while it runs)`;

/** The optimizer of a shared study: the CLI's optimizers, with TPE's constant liar on. */
export function studyOptimizer(name: string, bench: Benchmark, seed: number): AskTellOptimizer {
  if (name === 'tpe') return tpe({ searchSpace: bench.searchSpace, fidelity: bench.fidelity.max, seed, objective: bench.objectives[0] ?? 'loss', constantLiar: true });
  return makeOptimizer(name, bench, seed);
}

/** Runs `hypergrad hpo worker`; returns the exit code. */
export async function hpoWorkerCommand(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out.write(`${HPO_WORKER_USAGE}\n`);
    return 0;
  }
  let flags: Record<string, string>;
  try {
    flags = parseFlags(args, ['storage', 'study', 'benchmark', 'optimizer', 'trials', 'seed', 'heartbeat', 'max-retries', 'max-trials', 'out']);
    for (const f of ['storage', 'study', 'benchmark', 'optimizer']) if (flags[f] === undefined) throw new Error(`--${f} is required`);
    if (!(OPTIMIZERS as readonly string[]).includes(flags.optimizer as string)) throw new Error(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${flags.optimizer}'`);
  } catch (e) {
    err.write(`hypergrad hpo worker: ${(e as Error).message}\n\n${HPO_WORKER_USAGE}\n`);
    return 2;
  }
  let lock: { release(): void } | null = null;
  try {
    const benchmark = benchmarkByName(flags.benchmark as string);
    const optimizer = flags.optimizer as string;
    const trials = flags.trials === undefined ? 100 : parseNumberFlag('--trials', flags.trials, { min: 1 }, true);
    const seed = flags.seed === undefined ? 0 : parseNumberFlag('--seed', flags.seed, { min: 0, max: 2 ** 32, maxExclusive: true }, true);
    const heartbeatMs = 1000 * (flags.heartbeat === undefined ? 5 : parseNumberFlag('--heartbeat', flags.heartbeat, { min: 0.01, max: 3600 }));
    const maxRetries = flags['max-retries'] === undefined ? 3 : parseNumberFlag('--max-retries', flags['max-retries'], { min: 0 }, true);
    const maxTrials = flags['max-trials'] === undefined ? undefined : parseNumberFlag('--max-trials', flags['max-trials'], { min: 1 }, true);
    if (flags.out !== undefined) lock = lockRunFolder(flags.out);
    const storage = await openStorage(flags.storage as string);
    const study = flags.study as string;
    const attrs = { benchmark: benchmark.name, optimizer, seed };
    try {
      const existing = storage.state.studies.get(study);
      if (existing !== undefined) {
        for (const [k, v] of Object.entries(attrs)) {
          if (existing.attrs[k] !== v) throw new Error(`study '${study}' was created with ${k} ${JSON.stringify(existing.attrs[k])}, not ${JSON.stringify(v)}; every worker of a study runs the same benchmark, optimizer and seed`);
        }
        const p = studyProgress(storage.state, study);
        if (p.finished) {
          err.write(`hypergrad hpo worker: study '${study}' in ${storage.backend.description} is finished (${p.byState.complete} complete, ${p.byState.failed} failed of ${p.budget}); nothing was run. Choose another --study to run again; hypergrad hpo status shows it\n`);
          return 1;
        }
      }
    } finally {
      await storage.close();
    }
    if (benchmark.name === 'mnist-mlp') await initBackend();
    const records = flags.out === undefined ? null : join(flags.out, 'records.jsonl');
    const objective = benchmark.objectives[0] ?? 'loss';
    const summary = await runWorker({
      storage: flags.storage as string, study, budget: trials, studyAttrs: attrs, heartbeatMs, maxRetries, ...(maxTrials !== undefined ? { maxTrials } : {}),
      mode: optimizer === 'gradient' ? 'local' : 'shared', optimizer: () => studyOptimizer(optimizer, benchmark, seed),
      objective: (config, ctx) => benchmark.objective(config, ctx),
      onTrial: (t) => {
        const v = t.values?.[objective];
        out.write(`trial ${t.id} (#${t.number}${t.slot !== null ? `, slot ${t.slot}` : ''}${t.fidelity !== null ? `, fidelity ${t.fidelity}` : ''}): ${t.state}${v !== undefined ? ` ${objective} ${v.toPrecision(4)}` : ''}\n`);
        if (records !== null && t.state === 'complete') appendFileSync(records, `${JSON.stringify({ ...recordOfStudyTrial(t), trial: t.id, study, worker: t.worker })}\n`);
      },
    });
    out.write(`worker ${summary.worker}: ${summary.evaluated} trials evaluated, ${summary.discarded} discarded (lease lost), ${summary.failed} failed; stopped: ${summary.stoppedBy === 'finished' ? 'the study is finished' : summary.stoppedBy}\n`);
    return 0;
  } catch (e) {
    err.write(`hypergrad hpo worker: ${(e as Error).message}\n`);
    return 2;
  } finally {
    lock?.release();
  }
}

/** A finished trial of a real study as a record line (seconds since its start as `runtime`). */
function recordOfStudyTrial(t: Parameters<typeof recordOfTrial>[0]) {
  return recordOfTrial(t) ?? { config: t.config, fidelity: t.fidelity, values: t.values, startedAt: t.startedAt, endedAt: t.endedAt };
}
