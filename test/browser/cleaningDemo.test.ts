import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleaningDemo } from '../../examples/browser/src/cleaningDemo.js';
import { DEMO_SPLITS, packDigits, unpackDigits } from '../../examples/browser/src/digits.js';
import type { DemoState } from '../../examples/browser/src/main.js';
import { initBackend } from '../../src/index.js';
import { mnistSplits } from '../../src/data/mnist.js';
import { type ServedPage, launchChromium, openPage, servePage } from '../helpers/browser.js';

const browser = await launchChromium();
const STEPS = 8;
const SCREENSHOT = fileURLToPath(new URL('../../docs/img/browser-hyper-cleaning.png', import.meta.url));

describe.skipIf(typeof browser === 'string')('the browser page (examples/browser) in headless Chromium', () => {
  let served: ServedPage;
  beforeAll(async () => {
    served = await servePage(fileURLToPath(new URL('../../examples/browser/vite.config.ts', import.meta.url)));
  }, 120_000);
  afterAll(async () => {
    await served?.close();
    await (browser as Browser).close();
  });

  it('trains live, charts the validation loss, and matches the same run in Node within 1e-3', async () => {
    const errors: string[] = [];
    const page = await openPage(browser as Browser, `${served.url}?steps=${STEPS}`, errors);
    await page.waitForFunction(() => (window as unknown as { demo?: DemoState }).demo?.done === true, undefined, { timeout: 150_000 });
    const state = await page.evaluate(() => (window as unknown as { demo: DemoState }).demo);
    await page.screenshot({ path: SCREENSHOT });
    expect(state.error, state.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(['webgpu', 'webgl', 'wasm']).toContain(state.backend);
    expect(state.validationLoss).toHaveLength(STEPS);
    expect(state.validationLoss.at(-1)).toBeLessThan((state.initialLoss as number) - 0.3);

    // The same run in Node, on the same (packed and unpacked) digits.
    await initBackend('wasm');
    const [train, valid] = mnistSplits([DEMO_SPLITS.train, DEMO_SPLITS.valid], DEMO_SPLITS.seed);
    const node = await runCleaningDemo(unpackDigits(packDigits(train!)), unpackDigits(packDigits(valid!)), { outerSteps: STEPS });
    expect(state.initialLoss).toBeCloseTo(node.initialLoss, 5);
    expect(state.validationLoss).toBeAllClose(node.validationLoss, { rtol: 1e-3, atol: 1e-4 });
    expect(state.precision).toBeCloseTo(node.precision, 2);
    console.log(`browser (${state.backend}) vs Node (wasm): final validation loss ${state.validationLoss.at(-1)} vs ${node.validationLoss.at(-1)}; ` +
      `${state.secondsPerOuterStep?.toFixed(2)} vs ${node.secondsPerOuterStep.toFixed(2)} s per outer step`);
  }, 240_000);
});
