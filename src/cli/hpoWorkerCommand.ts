import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/initBackend.js';
import { OPTIMIZERS, makeOptimizer } from '../hpo/registry.js';
import { tpe } from '../hpo/tpe.js';
import type { AskTellOptimizer, Benchmark } from '../hpo/types.js';
import { openStorage } from '../storage/openStorage.js';
import { studyProgress } from '../storage/replay.js';
import { lockRunFolder } from '../storage/runFolderLock.js';
import { runWorker } from '../storage/runWorker.js';
import { recordOfTrial } from '../storage/simulationRecords.js';
import { benchmarkHelp, benchmarkValue } from './benchmarks.js';
import { defineCommand, option } from './defineCommand.js';
import { choice, integerAtLeast, numberIn, positiveInteger, seedValue, text } from './optionValues.js';

/** The optimizer of a shared study: the CLI's optimizers, with TPE's constant liar on. */
export function studyOptimizer(name: string, bench: Benchmark, seed: number): AskTellOptimizer {
  if (name === 'tpe') return tpe({ searchSpace: bench.searchSpace, fidelity: bench.fidelity.max, seed, objective: bench.objectives[0] ?? 'loss', constantLiar: true });
  return makeOptimizer(name, bench, seed);
}

/** A finished trial of a real study as a record line (seconds since its start as `runtime`). */
function recordOfStudyTrial(t: Parameters<typeof recordOfTrial>[0]) {
  return recordOfTrial(t) ?? { config: t.config, fidelity: t.fidelity, values: t.values, startedAt: t.startedAt, endedAt: t.endedAt };
}

/**
 * `hypergrad hpo worker`: evaluates trials of a shared study for real (e.g. mnist-mlp trains an
 * MLP), as one of any number of workers on any number of machines: start the same command on each.
 * The optimizer is rebuilt from the study's journal in every worker; a worker that dies has its
 * trial failed after the grace period (2 heartbeats) and retried by another.
 */
export const hpoWorkerCommand = defineCommand({
  name: 'worker',
  summary: 'evaluate a shared study for real, as one of any number of workers on any number of machines',
  description: "Evaluates trials of a shared study for real (e.g. mnist-mlp trains an MLP), as one of any number of workers on any number of machines: start the same command on each. The optimizer is rebuilt from the study's journal in every worker; a worker that dies has its trial failed after the grace period (2 heartbeats) and retried by another. Stops when the study has its --trials results.",
  options: {
    storage: option(text('URL'), 'postgresql://user@host:port/db (many machines), a journal file path (one host), or memory:', { required: true }),
    study: option(text('NAME'), "the study's name (created by the first worker, joined by the others)", { required: true }),
    benchmark: option(benchmarkValue, benchmarkHelp(), { required: true }),
    optimizer: option(choice('NAME', OPTIMIZERS), `one of ${OPTIMIZERS.join(', ')} (tpe runs with a constant liar across workers)`, { required: true }),
    trials: option(positiveInteger(), 'trials the study asks for (a joined study keeps its own)', { default: 100 }),
    seed: option(seedValue(), "the optimizer's seed (every worker of a study must use the same)", { default: 0 }),
    heartbeat: option(numberIn({ min: 0.01, max: 3600 }, 'SEC'), 'lease renewal interval in seconds', { default: 5 }),
    maxRetries: option(integerAtLeast(0, 'K'), 'retries of a trial whose worker died', { default: 3 }),
    maxTrials: option(positiveInteger('M'), 'stop this worker after M trials'),
    out: option(text('DIR'), 'also append the trials this worker finishes to DIR/records.jsonl (DIR is locked while it runs)'),
  },
  async run({ options: o, io, who }) {
    const lock = o.out === undefined ? null : lockRunFolder(o.out);
    try {
      const benchmark = o.benchmark.entry.make(o.benchmark.parameter);
      const optimizer = o.optimizer;
      const storage = await openStorage(o.storage);
      const attrs = { benchmark: benchmark.name, optimizer, seed: o.seed };
      try {
        const existing = storage.state.studies.get(o.study);
        if (existing !== undefined) {
          for (const [k, v] of Object.entries(attrs)) {
            if (existing.attrs[k] !== v) throw new Error(`study '${o.study}' was created with ${k} ${JSON.stringify(existing.attrs[k])}, not ${JSON.stringify(v)}; every worker of a study runs the same benchmark, optimizer and seed`);
          }
          const p = studyProgress(storage.state, o.study);
          if (p.finished) {
            io.err.write(`${who}: study '${o.study}' in ${storage.backend.description} is finished (${p.byState.complete} complete, ${p.byState.failed} failed of ${p.budget}); nothing was run. Choose another --study to run again; hypergrad hpo status shows it\n`);
            return 1;
          }
        }
      } finally {
        await storage.close();
      }
      if (o.benchmark.entry.needsBackend) await initBackend();
      const records = o.out === undefined ? null : join(o.out, 'records.jsonl');
      const objective = benchmark.objectives[0] ?? 'loss';
      const summary = await runWorker({
        storage: o.storage, study: o.study, budget: o.trials, studyAttrs: attrs, heartbeatMs: 1000 * o.heartbeat, maxRetries: o.maxRetries,
        ...(o.maxTrials !== undefined ? { maxTrials: o.maxTrials } : {}),
        mode: optimizer === 'gradient' ? 'local' : 'shared', optimizer: () => studyOptimizer(optimizer, benchmark, o.seed),
        objective: (config, ctx) => benchmark.objective(config, ctx),
        onTrial: (t) => {
          const v = t.values?.[objective];
          io.out.write(`trial ${t.id} (#${t.number}${t.slot !== null ? `, slot ${t.slot}` : ''}${t.fidelity !== null ? `, fidelity ${t.fidelity}` : ''}): ${t.state}${v !== undefined ? ` ${objective} ${v.toPrecision(4)}` : ''}\n`);
          if (records !== null && t.state === 'complete') appendFileSync(records, `${JSON.stringify({ ...recordOfStudyTrial(t), trial: t.id, study: o.study, worker: t.worker })}\n`);
        },
      });
      io.out.write(`worker ${summary.worker}: ${summary.evaluated} trials evaluated, ${summary.discarded} discarded (lease lost), ${summary.failed} failed; stopped: ${summary.stoppedBy === 'finished' ? 'the study is finished' : summary.stoppedBy}\n`);
      return 0;
    } finally {
      lock?.release();
    }
  },
});
