import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configRecord } from '../../src/zoo/fineTune.js';
import { defaultZooTable, zooBenchmark } from '../../src/zoo/zooBenchmark.js';
import { ZOO_FILES, defaultZooDir } from '../../src/zoo/zooStore.js';
import { MAX_EPOCHS, ZOO_MODELS } from '../../src/zoo/zooSpec.js';
import { useBackend } from '../helpers/backends.js';

describe('the committed zoo (data/zoo)', () => {
  beforeAll(async () => {
    // The table records the backend it was computed on; live training reproduces it there.
    await useBackend(defaultZooTable().backend as 'wasm' | 'cpu');
  });

  it('holds 48 pretrained networks and 192 + 64 + 64 tabulated runs of 10 epochs, in a few MB', () => {
    const t = defaultZooTable();
    expect(t.pretrained).toHaveLength(ZOO_MODELS.length);
    expect(Object.fromEntries(Object.entries(t.tasks).map(([k, v]) => [k, v.configs.length]))).toEqual({ mirror: 192, rotated180: 64, inverted: 64 });
    expect(t.maxEpochs).toBe(MAX_EPOCHS);
    const dir = defaultZooDir();
    const bytes = statSync(join(dir, ZOO_FILES.meta)).size + statSync(join(dir, ZOO_FILES.weights)).size;
    expect(bytes).toBeLessThan(5 * 2 ** 20);
  });

  it('is what the code computes: live fine-tuning from the same seed gives the tabulated curve', async () => {
    const t = defaultZooTable();
    const live = zooBenchmark({ table: t, mode: 'live' });
    for (const i of [0, 101]) {
      const c = configRecord(t.tasks.mirror?.configs[i] as never);
      const r = await live.objective(c, { fidelity: 2, seed: t.tasks.mirror?.seeds[i] as number });
      expect(r.loss, `run ${i}`).toBe(t.tasks.mirror?.curves[i]?.[1]?.validError);
      expect(r.validCrossEntropy).toBeCloseTo(t.tasks.mirror?.curves[i]?.[1]?.validCrossEntropy as number, 5);
    }
    live.dispose?.();
  });
});
