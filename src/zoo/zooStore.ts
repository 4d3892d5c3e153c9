import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DenseWeights, MlpWeights } from '../gp/encoders/weightGraph.js';
import { decode16, encode16 } from '../precision/formats.js';
import { type EpochResult, type FineTuneConfig, configRecord, fineTuneConfig, trainableLayers } from './fineTune.js';
import type { TaskTable, ZooTable } from './zooBuild.js';
import { ZOO_MODELS } from './zooSpec.js';
import { layerSizes } from './zooNet.js';

/**
 * The zoo's files: `zoo.json` (the build's seed and backend, the models, each target task's
 * configurations, seeds and curves) and `weights.bin.gz` (every pretrained network, then every
 * run's per-epoch checkpoint of its trainable layers, as fp16, gzipped). Frozen layers are not
 * stored per epoch: they are the pretrained network's.
 */
export const ZOO_FILES = {
  /** The description and curves. */
  meta: 'zoo.json',
  /** The fp16 weights. */
  weights: 'weights.bin.gz',
} as const;

interface ZooJson {
  version: 1;
  seed: number;
  backend: string;
  maxEpochs: number;
  models: { index: number; hidden: readonly number[]; activation: string; source: string }[];
  tasks: Record<string, { configs: ReturnType<typeof configRecord>[]; seeds: number[]; curves: number[][][] }>;
}

/** The layer shapes of zoo model `m`. */
function shapesOf(m: number): { inDim: number; outDim: number }[] {
  const sizes = layerSizes((ZOO_MODELS[m] as (typeof ZOO_MODELS)[number]).architecture);
  return sizes.slice(1).map((outDim, i) => ({ inDim: sizes[i] as number, outDim }));
}

/** Writes a table to `dir` (created); returns the two paths. */
export function writeZooTable(table: ZooTable, dir: string): [string, string] {
  mkdirSync(dir, { recursive: true });
  const parts: Uint16Array[] = [];
  const put = (l: DenseWeights) => parts.push(encode16(l.weights, 'fp16'), encode16(l.bias, 'fp16'));
  table.pretrained.forEach((w) => w.forEach(put));
  const tasks: ZooJson['tasks'] = {};
  for (const [name, t] of Object.entries(table.tasks)) {
    t.checkpoints.forEach((epochs, i) => {
      const trainable = trainableLayers(epochs[0]?.length ?? 0, (t.configs[i] as FineTuneConfig).frozen);
      for (const w of epochs) w.forEach((l, k) => trainable[k] && put(l));
    });
    tasks[name] = {
      configs: t.configs.map(configRecord), seeds: t.seeds,
      curves: t.curves.map((c) => c.map((e) => [e.validError, e.validCrossEntropy, e.testError, e.seconds])),
    };
  }
  const meta: ZooJson = {
    version: 1, seed: table.seed, backend: table.backend, maxEpochs: table.maxEpochs,
    models: table.pretrained.map((_w, m) => {
      const z = ZOO_MODELS[m] as (typeof ZOO_MODELS)[number];
      return { index: m, hidden: z.architecture.hidden, activation: z.architecture.activation, source: z.source.name };
    }),
    tasks,
  };
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Uint16Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const metaPath = join(dir, ZOO_FILES.meta);
  const weightsPath = join(dir, ZOO_FILES.weights);
  writeFileSync(metaPath, `${JSON.stringify(meta)}\n`);
  writeFileSync(weightsPath, gzipSync(Buffer.from(all.buffer, all.byteOffset, all.byteLength), { level: 9 }));
  return [metaPath, weightsPath];
}

/** Finds `data/zoo` above this file (from src/ or from dist/src/). */
export function defaultZooDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', 'zoo');
    if (existsSync(join(candidate, ZOO_FILES.meta))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('zoo: data/zoo/zoo.json not found in the package; build it with `node scripts/buildZoo.mjs` (after npm run build)');
}

function finite(where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`zoo: ${where} is ${String(v)}; the table must hold finite numbers (rebuild it with scripts/buildZoo.mjs)`);
  return v;
}

/** Reads a table written by {@link writeZooTable}; every number is checked finite (errors name the entry). */
export function readZooTable(dir: string = defaultZooDir()): ZooTable {
  const meta = JSON.parse(readFileSync(join(dir, ZOO_FILES.meta), 'utf8')) as ZooJson;
  if (meta.version !== 1) throw new Error(`zoo: ${join(dir, ZOO_FILES.meta)} has format version ${String(meta.version)}; this hypergrad reads version 1`);
  const raw = gunzipSync(readFileSync(join(dir, ZOO_FILES.weights)));
  const bits = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  let at = 0;
  const take = (n: number, where: string) => {
    if (at + n > bits.length) throw new Error(`zoo: ${ZOO_FILES.weights} ends early (at ${where}); rebuild the table`);
    const v = decode16(bits.subarray(at, at + n), 'fp16');
    at += n;
    v.forEach((x, i) => finite(`${where} entry ${i}`, x));
    return v;
  };
  const layer = (s: { inDim: number; outDim: number }, where: string): DenseWeights => ({ ...s, weights: take(s.inDim * s.outDim, `${where} weights`), bias: take(s.outDim, `${where} bias`) });
  const pretrained = meta.models.map((m) => shapesOf(m.index).map((s, k) => layer(s, `model ${m.index} layer ${k}`)));
  const tasks: Record<string, TaskTable> = {};
  for (const [name, t] of Object.entries(meta.tasks)) {
    const configs = t.configs.map((c) => fineTuneConfig(c));
    const curves: EpochResult[][] = t.curves.map((c, i) => c.map((e, k) => {
      const [validError, validCrossEntropy, testError, seconds] = e.map((v, j) => finite(`task ${name} run ${i} epoch ${k + 1} value ${j}`, v)) as [number, number, number, number];
      return { validError, validCrossEntropy, testError, seconds };
    }));
    const checkpoints = configs.map((config, i) => {
      const base = pretrained[config.model] as MlpWeights;
      const trainable = trainableLayers(base.length, config.frozen);
      return Array.from({ length: meta.maxEpochs }, (_e, k) => base.map((l, j) => (trainable[j] ? layer(l, `task ${name} run ${i} epoch ${k + 1} layer ${j}`) : l)));
    });
    tasks[name] = { configs, seeds: t.seeds, curves, checkpoints };
  }
  if (at !== bits.length) throw new Error(`zoo: ${ZOO_FILES.weights} has ${bits.length - at} values more than ${ZOO_FILES.meta} describes; rebuild the table`);
  return { version: 1, seed: meta.seed, backend: meta.backend, maxEpochs: meta.maxEpochs, pretrained, tasks };
}
