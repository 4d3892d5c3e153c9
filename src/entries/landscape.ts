/**
 * `hypergrad/landscape`: hyperparameter loss-landscape analysis (Huang & Li 2023): a grid of levels
 * per hyperparameter evaluated at one fidelity, its graph (neighbours one level apart), fitness-
 * distance correlation, random-walk autocorrelation, neutrality, basins and local optima, the local
 * optima network; comparisons of landscapes, studies over benchmarks and fidelities, and warm starts
 * of HPO from similar landscapes. Their pictures are Vega-Lite specs, drawn by `hypergrad/plot`.
 * @example
 * ```ts
 * import { buildLandscape, analyseLandscape } from 'hypergrad/landscape';
 * import { lcbench } from 'hypergrad/simulator';
 * const landscape = await buildLandscape(lcbench('3945'), { levels: 4 });
 * const { metrics } = analyseLandscape(landscape);
 * console.log(metrics.fdc, metrics.basins.localOptima);
 * ```
 * @packageDocumentation
 * @module hypergrad/landscape
 */
export {
  type Grid, type GridAxis, type GridOptions, MAX_GRID_SIZE, axisLevels, landscapeGrid, gridOf, gridCoords, gridIndex, gridConfig, gridDistance,
} from '../landscape/grid.js';
export {
  type Landscape, type Direction, type LandscapeOfOptions, type LandscapeJson, landscapeOf, nodeCount, gridIndexOf, orientedFitness, landscapeToJson,
  landscapeFromJson,
} from '../landscape/landscape.js';
export { type LandscapeGraph, type Neighbours, type LandscapeNodeAttributes, landscapeGraph, gridNeighbours } from '../landscape/landscapeGraph.js';
export {
  type EvaluateGridOptions, type BuildLandscapeOptions, type FromRecordsOptions, evaluateGrid, buildLandscape, landscapeFromRecords,
} from '../landscape/buildLandscape.js';
export { averageRanks, pearson, spearman, kendallTau, quantile } from '../landscape/rankCorrelation.js';
export { globalOptima, distanceToOptimum, fitnessDistanceCorrelation } from '../landscape/fitnessDistance.js';
export { type WalkOptions, type Autocorrelation, randomWalkAutocorrelation } from '../landscape/autocorrelation.js';
export {
  type NeutralityThreshold, type RelativeThreshold, type AbsoluteThreshold, type Neutrality, DEFAULT_NEUTRALITY, neutralityEpsilon, neutrality, neutralityDistanceCorrelation,
} from '../landscape/neutrality.js';
export { type HillClimb, type BasinMetrics, hillClimb, basinSizes, basinMetrics } from '../landscape/basins.js';
export {
  type LocalOptimaNetwork, type LonNodeAttributes, type LonEdgeAttributes, type LonOptions, type LonMetrics, localOptimaNetwork, lonMetrics,
} from '../landscape/localOptimaNetwork.js';
export { toGraphml } from '../landscape/graphml.js';
export { type AnalyseOptions, type LandscapeMetrics, type LandscapeAnalysis, type BestConfig, type AppliedThreshold, type LonSummary, analyseLandscape } from '../landscape/analyseLandscape.js';
export { type LandscapeSimilarity, type CompareLandscapesOptions, topNodes, compareLandscapes } from '../landscape/compareLandscapes.js';

export {
  type StudyObjective, type StudySplitPair, type StudyBenchmark, type StudyEvent, type StudyResumed, type StudyEvaluating, type StudyEvaluated, type StudyComparing,
  type StudyMetrics, type StudyOptions, type StudyComparison, type StudyResult, runLandscapeStudy,
} from '../landscape/landscapeStudy.js';
export { PAPER_FIGURES, medianQuartiles, comparisonTable, metricsTable, metricsCsv } from '../landscape/studyTables.js';
export { STUDY_PRESETS, type StudyPresetName, type StudyPresetOptions, studyPreset } from '../landscape/studyPresets.js';

export { type Probe, type ProbeOptions, type SourceSimilarity, type TransferOptions, type Transfer, probeIndices, probeTarget, transferConfigs } from '../landscape/transfer.js';
export {
  WARM_START_OPTIMIZERS, type WarmStartOptions, type WarmStartRun, type WarmStartSummary, warmStartComparison, warmStartSummary, warmStartTable, warmStartTaskTable,
} from '../landscape/warmStart.js';
export { type InitialConfigsOption, initialConfigQueue } from '../hpo/initialConfigs.js';
export { stringifyNumbers, parseNumbers } from '../landscape/numbersJson.js';
export { landscapeFileName } from '../landscape/landscapeStudy.js';
export {
  rankShare, landscapeEmbedding, embeddingSpec, optimumSlices, sliceHeatmapSpec, basinHistogramSpec, similarityMatrixSpec, type EmbeddingOptions,
  type EmbeddedNode, type SliceCell,
} from '../landscape/plots/landscapePlots.js';
export { writeLandscapePlots, writeStudyPlots } from '../landscape/plots/writePlots.js';
