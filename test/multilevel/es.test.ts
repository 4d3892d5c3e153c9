import * as tf from '@tensorflow/tfjs-core';
import * as math from 'mathjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HypergradientMethod, buildMethod } from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';
import { makeRidge, relErr, ridgeEngine } from './ridge.js';

// The cpu backend dispatches these tiny ops about twice as fast as wasm.
beforeAll(async () => useBackend('cpu'));

/**
 * A 3-parameter ridge problem whose inner loop (gradient descent from 0 at the optimal constant
 * step 2 / (mu + L)) converges to w* to 1e-5 relative, so the derivative of the loop that ES
 * estimates is the exact hypergradient to that accuracy.
 */
const rd = makeRidge(2, 80, 20, 3);
const eig = (math.eigs(rd.A).values as number[]).map(Number);
const [mu, L] = [Math.min(...eig), Math.max(...eig)];
const LR = 2 / (mu + L);
const K = Math.ceil(Math.log(1e-5) / Math.log((L - mu) / (L + mu)));

/** The program after K inner steps, its hypergradient method swappable (a custom method delegating). */
async function program() {
  let method: HypergradientMethod = buildMethod({ method: 'firstOrder' });
  const r = ridgeEngine(rd, { method: 'custom', fn: (ctx, v) => method(ctx, v) }, { iterative: true, innerLr: LR });
  await r.engine.stepOnly('inner', K);
  const at = (m: HypergradientMethod) => {
    method = m;
    const g = r.engine.hypergradient<tf.Tensor>('outer');
    const out = Array.from(g.dataSync());
    g.dispose();
    return out;
  };
  return { at, dispose: r.dispose };
}

describe('zero-order ES hypergradient (antithetic Gaussian smoothing)', () => {
  it('converges to the exact ridge hypergradient as samples grow, the error falling like 1/sqrt(n)', async () => {
    const p = await program();
    // The loop has converged: its exact derivative (unrolled) is the closed form.
    expect(relErr(p.at(buildMethod({ method: 'unrolled' })), rd.exact)).toBeLessThan(1e-3);
    const ns = [4, 16, 64];
    const seeds = [1, 2, 3, 4, 5, 6];
    // Root-mean-square relative error over seeds, for each sample count n (antithetic pairs).
    const rms = ns.map((samples) => Math.sqrt(seeds.reduce((s, seed) =>
      s + relErr(p.at(buildMethod({ method: 'es', samples, sigma: 1e-3, seed })), rd.exact) ** 2, 0) / seeds.length));
    // Least-squares slope of log(error) against log(n): -1/2 for a Monte Carlo mean (the variance
    // of a mean of n independent antithetic pairs is exactly 1/n of one pair's). The squared error
    // of one seed is about a chi-square with 3 degrees of freedom (3 parameters), so the log-RMS
    // over 6 seeds has a standard deviation near 0.17 and the slope over n = 4..64 one near 0.085:
    // [-0.75, -0.25] is a 3-sigma band (the seeds are fixed, so the test is deterministic).
    console.log(`es: K = ${K}, rms relative error at n = ${ns.join(', ')}: ${rms.map((e) => e.toFixed(4)).join(', ')}`);
    const xs = ns.map(Math.log);
    const ys = rms.map(Math.log);
    const xm = xs.reduce((a, b) => a + b, 0) / xs.length;
    const ym = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope = xs.reduce((s, x, i) => s + (x - xm) * ((ys[i] as number) - ym), 0) / xs.reduce((s, x) => s + (x - xm) ** 2, 0);
    console.log(`es: slope of log error vs log n = ${slope.toFixed(3)}`);
    expect(slope).toBeGreaterThan(-0.75);
    expect(slope).toBeLessThan(-0.25);
    // And it does converge: at 64 pairs the error is a fraction of the gradient's size.
    expect(rms[2]).toBeLessThan(0.5 * (rms[0] as number));
    expect(rms[2]).toBeLessThan(0.3);
    p.dispose();
  });

  it('is reproducible for a seed and differs between seeds; as a configured method it runs through the recorded loop', async () => {
    const p = await program();
    const a = p.at(buildMethod({ method: 'es', samples: 4, sigma: 1e-3, seed: 9 }));
    expect(p.at(buildMethod({ method: 'es', samples: 4, sigma: 1e-3, seed: 9 }))).toEqual(a);
    expect(p.at(buildMethod({ method: 'es', samples: 4, sigma: 1e-3, seed: 10 }))).not.toEqual(a);
    p.dispose();
    const r = ridgeEngine(rd, { method: 'es', samples: 64, sigma: 1e-3 }, { iterative: true, innerLr: LR });
    await r.engine.stepOnly('inner', K);
    const g = r.engine.hypergradient<tf.Tensor>('outer');
    expect(relErr(Array.from(g.dataSync()), rd.exact)).toBeLessThan(0.5);
    g.dispose();
    r.dispose();
    expect(() => ridgeEngine(rd, { method: 'es', samples: 0 })).toThrow(/config\.hypergradient: samples must be a positive integer, got 0/);
  });
});
