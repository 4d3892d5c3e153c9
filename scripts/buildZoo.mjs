#!/usr/bin/env node
/**
 * Builds the model zoo and its tabulated fine-tuning runs into data/zoo/ (zoo.json, weights.bin.gz):
 * 48 MLPs pretrained on four source tasks of down-sampled MNIST digits, then sampled fine-tuning
 * configurations on three target tasks, 10 epochs each, every epoch's curve values, training
 * seconds and fp16 checkpoint recorded. Deterministic from the seed on a given backend.
 *
 *   npm run build && flock -x /tmp/hg-heavy.lock node scripts/buildZoo.mjs [--seed 0] [--out data/zoo] [--backend wasm]
 *
 * About two minutes on two cores.
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../dist/src/backend/initBackend.js';
import { buildZooTable } from '../dist/src/zoo/zooBuild.js';
import { writeZooTable } from '../dist/src/zoo/zooStore.js';
import { parseNumberFlag } from '../dist/src/util/validate.js';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '0' }, out: { type: 'string', default: 'data/zoo' }, backend: { type: 'string', default: 'wasm' } } });
const seed = parseNumberFlag('--seed', values.seed, { min: 0, max: 2 ** 32, maxExclusive: true }, true);
const backend = await initBackend(values.backend);
const t0 = performance.now();
let last = 0;
const table = buildZooTable({
  seed,
  onProgress: (what) => {
    const now = performance.now();
    if (now - last > 5000) {
      process.stderr.write(`${((now - t0) / 1000).toFixed(0)} s: ${what}\n`);
      last = now;
    }
  },
});
const [meta, weights] = writeZooTable(table, values.out);
process.stdout.write(`built the zoo on ${backend} in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${meta}, ${weights}\n`);
