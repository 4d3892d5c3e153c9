import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LandscapeMetrics } from '../analyseLandscape.js';
import { analyseLandscape } from '../analyseLandscape.js';
import { type HillClimb, basinSizes } from '../basins.js';
import { type Landscape, landscapeFromJson } from '../landscape.js';
import { type StudyResult, landscapeFileName } from '../landscapeStudy.js';
import { parseNumbers } from '../numbersJson.js';
import { quantile } from '../rankCorrelation.js';
import { basinHistogramSpec, embeddingSpec, landscapeEmbedding, optimumSlices, similarityMatrixSpec, sliceHeatmapSpec } from './landscapePlots.js';
import { writePlot } from '../../plot/writePlot.js';

/**
 * Writes a landscape's pictures next to `base`: `-embedding` (UMAP coloured by rank), `-slices`
 * (heatmaps of 2-D slices through the optimum) and `-basins` (histogram of basin sizes), each as
 * SVG, PNG and its Vega-Lite spec (`*.vl.json`, by `hypergrad/plot`'s `writePlot`). Returns the paths.
 */
export async function writeLandscapePlots(base: string, l: Landscape, metrics: LandscapeMetrics, climb: HillClimb): Promise<string[]> {
  const paths: string[] = [];
  paths.push(...await writePlot(`${base}-embedding`, embeddingSpec(landscapeEmbedding(l), `${l.name}: UMAP of the grid, coloured by rank`)));
  if (l.grid.axes.length >= 2) paths.push(...await writePlot(`${base}-slices`, sliceHeatmapSpec(optimumSlices(l), `${l.name}: slices through the optimum (others at the optimum)`)));
  paths.push(...await writePlot(`${base}-basins`, basinHistogramSpec(basinSizes(climb), `${l.name}: ${metrics.basins.localOptima} local optima, basin sizes`)));
  return paths;
}

/**
 * Writes a study's pictures into `outDir`: per group, the task-by-task Spearman matrix at the full
 * fidelity (when it has several tasks), the fidelity-by-fidelity matrix of median Spearman over
 * tasks, and the pictures of its first landscape at the full fidelity (see {@link writeLandscapePlots}).
 */
export async function writeStudyPlots(outDir: string, result: StudyResult): Promise<string[]> {
  const paths: string[] = [];
  const groups = [...new Set(result.metrics.map((m) => m.group))];
  for (const group of groups) {
    const cs = result.comparisons.filter((c) => c.group === group);
    const tasks = cs.filter((c) => c.kind === 'task');
    if (tasks.length > 0) {
      const names = [...new Set(result.metrics.filter((m) => m.group === group).map((m) => m.task))];
      const value = new Map(tasks.map((c) => [c.label, c.spearman]));
      const cells = names.flatMap((a) => names.map((b) => ({ a, b, value: a === b ? 1 : value.get(`${a} vs ${b}`) ?? value.get(`${b} vs ${a}`) ?? Number.NaN })));
      paths.push(...await writePlot(join(outDir, `${group}-similarity-tasks`), similarityMatrixSpec(cells, `${group}: Spearman between tasks at the full fidelity`, 'Spearman')));
    }
    const fids = cs.filter((c) => c.kind === 'fidelity');
    if (fids.length > 0) {
      const levels = [...new Set(result.metrics.filter((m) => m.group === group).map((m) => m.fidelity))].sort((a, b) => a - b).map(String);
      const med = (a: string, b: string) => quantile(fids.filter((c) => c.label === `${a} vs ${b}` || c.label === `${b} vs ${a}`).map((c) => c.spearman), 0.5);
      const cells = levels.flatMap((a) => levels.map((b) => ({ a, b, value: a === b ? 1 : med(a, b) })));
      paths.push(...await writePlot(join(outDir, `${group}-similarity-fidelities`), similarityMatrixSpec(cells, `${group}: median Spearman between fidelities`, 'Spearman')));
    }
    const first = result.metrics.filter((m) => m.group === group).sort((a, b) => b.fidelity - a.fidelity)[0];
    const file = first === undefined ? undefined : join(outDir, 'landscapes', `${landscapeFileName(first.name)}.json`);
    if (file !== undefined && existsSync(file)) {
      const l = landscapeFromJson((parseNumbers(readFileSync(file, 'utf8')) as { landscape: unknown }).landscape, file);
      const { metrics, climb } = analyseLandscape(l);
      paths.push(...await writeLandscapePlots(join(outDir, group), l, metrics, climb));
    }
  }
  return paths;
}
