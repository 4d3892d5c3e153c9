import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { mnistSplits } from '../../src/data/mnist.js';
import { DEMO_SPLITS, packDigits } from './src/digits.js';

/** `virtual:demo-digits`: the page's digits, drawn from the `mnist` package at build time. */
function demoDigits(): Plugin {
  const id = 'virtual:demo-digits';
  return {
    name: 'demo-digits',
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load(resolved) {
      if (resolved !== `\0${id}`) return null;
      const [train, valid] = mnistSplits([DEMO_SPLITS.train, DEMO_SPLITS.valid], DEMO_SPLITS.seed);
      return `export const train = ${JSON.stringify(packDigits(train!))};\nexport const valid = ${JSON.stringify(packDigits(valid!))};\n`;
    },
  };
}

const shim = fileURLToPath(new URL('./src/nodeShim.ts', import.meta.url));

/** The page: `npx vite build examples/browser` writes it to `examples/browser/dist/`. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [demoDigits()],
  resolve: {
    alias: ['fs', 'module', 'path', 'url', 'worker_threads'].flatMap((m) => [
      { find: `node:${m}`, replacement: shim },
    ]),
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  worker: { format: 'es' },
});
