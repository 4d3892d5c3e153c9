import { type Autocorrelation, type WalkOptions, randomWalkAutocorrelation } from './autocorrelation.js';
import { type BasinMetrics, type HillClimb, basinMetrics, hillClimb } from './basins.js';
import { distanceToOptimum, fitnessDistanceCorrelation, globalOptima } from './fitnessDistance.js';
import { gridConfig } from './grid.js';
import { type Landscape, gridIndexOf } from './landscape.js';
import { type LandscapeGraph, landscapeGraph } from './landscapeGraph.js';
import { type LocalOptimaNetwork, type LonMetrics, localOptimaNetwork, lonMetrics } from './localOptimaNetwork.js';
import { type NeutralityThreshold, DEFAULT_NEUTRALITY, neutrality, neutralityDistanceCorrelation } from './neutrality.js';
import type { Config } from '../hpo/types.js';

/** Options of {@link analyseLandscape}. */
export interface AnalyseOptions {
  /** Random walks of the autocorrelation (count, length, seed); defaults 1000 x 20, seed 0. */
  walks?: WalkOptions;
  /** Neutrality threshold; default 1% of the range. */
  neutrality?: NeutralityThreshold;
  /** Perturbation radius of the local optima network; default 2. */
  lonRadius?: number;
}

/** The best configuration of a landscape and its value. */
export interface BestConfig {
  /** The value, as reported. */
  value: number;
  /** The configuration. */
  config: Config;
}

/** A neutrality threshold as asked, with the epsilon it came to. */
export type AppliedThreshold = NeutralityThreshold & {
  /** The threshold in the objective's units. */
  epsilon: number;
};

/** {@link LonMetrics} with the perturbation radius used. */
export interface LonSummary extends LonMetrics {
  /** Perturbation radius D. */
  radius: number;
}

/** Every metric of one landscape (Huang & Li 2023, Sec. 3; definitions on each field's function). */
export interface LandscapeMetrics {
  /** The landscape's name. */
  name: string;
  /** Nodes (configurations). */
  nodes: number;
  /** Neighbour pairs. */
  neighbourPairs: number;
  /** Best value (as reported) and its configuration. */
  best: BestConfig;
  /** Number of global optima (ties of the best value). */
  globalOptima: number;
  /** Fitness-distance correlation (Spearman; see `fitnessDistanceCorrelation`). */
  fdc: number;
  /** Random-walk autocorrelation at lag 1 and correlation length (see `randomWalkAutocorrelation`). */
  autocorrelation: Autocorrelation;
  /** Share of neutral neighbour pairs (see `neutrality`). */
  neutrality: number;
  /** The neutrality threshold, as asked and in the objective's units. */
  neutralityThreshold: AppliedThreshold;
  /** Neutrality-distance correlation (see `neutralityDistanceCorrelation`). */
  ndc: number;
  /** Local optima and basins (see `basinMetrics`). */
  basins: BasinMetrics;
  /** Summary of the local optima network (see `lonMetrics`). */
  lon: LonSummary;
}

/** What {@link analyseLandscape} returns: the metrics and the structures behind them. */
export interface LandscapeAnalysis {
  /** The metrics (plain data, JSON-ready). */
  metrics: LandscapeMetrics;
  /** The landscape's graph. */
  graph: LandscapeGraph;
  /** The hill climb from every node. */
  climb: HillClimb;
  /** The local optima network (write it with `toGraphml`). */
  lon: LocalOptimaNetwork;
  /** Each node's distance to the nearest global optimum. */
  distance: Int32Array;
}

/**
 * Analyses a landscape: builds its graph (`landscapeGraph`), then fitness-distance correlation,
 * random-walk autocorrelation and correlation length, neutrality and neutrality-distance
 * correlation, local optima and basins of best-improvement hill climbing, and the local optima
 * network with escape edges.
 * @example
 * ```ts
 * const { metrics, lon } = analyseLandscape(await buildLandscape(lcbench('3945'), { levels: 4, fidelity: 52 }));
 * ```
 */
export function analyseLandscape(l: Landscape, o: AnalyseOptions = {}): LandscapeAnalysis {
  const graph = landscapeGraph(l);
  const climb = hillClimb(graph);
  const distance = distanceToOptimum(graph);
  const threshold = o.neutrality ?? DEFAULT_NEUTRALITY;
  const neutral = neutrality(graph, threshold);
  const radius = o.lonRadius ?? 2;
  const lon = localOptimaNetwork(graph, { radius, climb });
  const go = globalOptima(graph.loss);
  const bestNode = go[0] as number;
  const metrics: LandscapeMetrics = {
    name: l.name, nodes: graph.loss.length, neighbourPairs: graph.neighbours.targets.length / 2,
    best: { value: l.fitness[bestNode] as number, config: gridConfig(l.grid, gridIndexOf(l, bestNode)) }, globalOptima: go.length,
    fdc: fitnessDistanceCorrelation(graph, distance), autocorrelation: randomWalkAutocorrelation(graph, o.walks),
    neutrality: neutral.neutrality, neutralityThreshold: { ...threshold, epsilon: neutral.epsilon },
    ndc: neutralityDistanceCorrelation(neutral.perNode, distance), basins: basinMetrics(graph, climb), lon: { ...lonMetrics(lon), radius },
  };
  return { metrics, graph, climb, lon, distance };
}
