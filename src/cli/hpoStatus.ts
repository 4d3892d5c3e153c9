import { openStorage } from '../storage/openStorage.js';
import { studyProgress } from '../storage/replay.js';
import type { JournalStorage } from '../storage/journalStorage.js';
import { parseNumberFlag } from '../util/validate.js';
import { parseFlags } from './hpo.js';

/** The help of `hypergrad hpo status`. */
export const HPO_STATUS_USAGE = `usage: hypergrad hpo status --storage URL [--study NAME] [--grace SEC]

Prints the progress of the studies in a storage (or of one): trials by state, slots used of the
budget, the incumbent, and running trials whose lease has not been renewed for --grace seconds
(default 10: their worker is probably dead; the next worker to look fails and retries them).`;

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

/** Runs `hypergrad hpo status`; returns the exit code. */
export async function hpoStatusCommand(args: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out.write(`${HPO_STATUS_USAGE}\n`);
    return 0;
  }
  let flags: Record<string, string>;
  try {
    flags = parseFlags(args, ['storage', 'study', 'grace']);
    if (flags.storage === undefined) throw new Error('--storage is required');
  } catch (e) {
    err.write(`hypergrad hpo status: ${(e as Error).message}\n\n${HPO_STATUS_USAGE}\n`);
    return 2;
  }
  try {
    const graceMs = 1000 * (flags.grace === undefined ? 10 : parseNumberFlag('--grace', flags.grace, { min: 0 }));
    const storage = await openStorage(flags.storage as string);
    try {
      const names = flags.study !== undefined ? [flags.study] : [...storage.state.studies.keys()];
      if (flags.study !== undefined && !storage.state.studies.has(flags.study)) {
        throw new Error(`--study: no study '${flags.study}' in ${storage.backend.description}; it has ${[...storage.state.studies.keys()].join(', ') || 'none'}`);
      }
      if (names.length === 0) out.write(`no studies in ${storage.backend.description}\n`);
      for (const n of names) out.write(`${await studyStatus(storage, n, graceMs)}\n`);
      return 0;
    } finally {
      await storage.close();
    }
  } catch (e) {
    err.write(`hypergrad hpo status: ${(e as Error).message}\n`);
    return 2;
  }
}
