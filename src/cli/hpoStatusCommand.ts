import type { JournalStorage } from '../storage/journalStorage.js';
import { openStorage } from '../storage/openStorage.js';
import { studyProgress } from '../storage/replay.js';
import { defineCommand, option } from './defineCommand.js';
import { numberIn, text } from './optionValues.js';

/** The status lines of one study. */
async function studyStatus(storage: JournalStorage, name: string, graceMs: number): Promise<string> {
  const study = storage.study(name);
  const p = studyProgress(storage.state, name);
  const trials = study.trials.map((id) => storage.trial(id));
  let best: (typeof trials)[number] | null = null;
  for (const t of trials) {
    const v = t.values?.[study.objective];
    if (t.state === 'complete' && v !== undefined && (best === null || v < (best.values?.[study.objective] as number))) best = t;
  }
  const leases = await storage.backend.leases(name);
  const stale = leases.filter((l) => l.ageMs > graceMs);
  const attrs = Object.entries(study.attrs).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
  const s = p.byState;
  return [
    `study ${name}${attrs !== '' ? ` (${attrs})` : ''}: ${p.finished ? 'finished' : 'in progress'}`,
    `  trials: ${s.complete} complete, ${s.pruned} pruned, ${s.failed} failed, ${s.running} running, ${s.waiting} waiting; slots ${p.slots} of ${p.budget ?? 'unbounded'}`,
    `  incumbent: ${best === null ? 'none yet' : `${study.objective} ${best.values?.[study.objective]} (trial ${best.id}, ${JSON.stringify(best.config)}${best.fidelity !== null ? ` at fidelity ${best.fidelity}` : ''})`}`,
    `  leases: ${leases.length} running, ${stale.length} stale${stale.length > 0 ? ` (${stale.map((l) => `trial ${l.trial} on ${storage.state.trials.get(l.trial)?.worker ?? '?'}, ${(l.ageMs / 1000).toFixed(1)} s`).join('; ')})` : ''}`,
  ].join('\n');
}

/**
 * `hypergrad hpo status`: the progress of the studies in a storage (or of one): trials by state,
 * slots used of the budget, the incumbent, and running trials whose lease has not been renewed for
 * `--grace` seconds (their worker is probably dead; the next worker to look fails and retries them).
 */
export const hpoStatusCommand = defineCommand({
  name: 'status',
  summary: 'progress of the studies in a storage',
  description: 'Prints the progress of the studies in a storage (or of one): trials by state, slots used of the budget, the incumbent, and running trials whose lease has not been renewed for --grace seconds (their worker is probably dead; the next worker to look fails and retries them).',
  options: {
    storage: option(text('URL'), 'postgresql://..., a journal file, or memory:', { required: true }),
    study: option(text('NAME'), 'only this study'),
    grace: option(numberIn({ min: 0 }, 'SEC'), 'seconds without a lease renewal before a running trial counts as stale', { default: 10 }),
  },
  async run({ options: o, io }) {
    const storage = await openStorage(o.storage);
    try {
      const names = o.study !== undefined ? [o.study] : [...storage.state.studies.keys()];
      if (o.study !== undefined && !storage.state.studies.has(o.study)) {
        throw new Error(`--study: no study '${o.study}' in ${storage.backend.description}; it has ${[...storage.state.studies.keys()].join(', ') || 'none'}`);
      }
      if (names.length === 0) io.out.write(`no studies in ${storage.backend.description}\n`);
      for (const n of names) io.out.write(`${await studyStatus(storage, n, 1000 * o.grace)}\n`);
      return 0;
    } finally {
      await storage.close();
    }
  },
});
