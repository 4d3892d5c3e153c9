import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The dashboard's page: `npm run build` (or `vite build src/dashboard/page`) writes it to `dist/dashboard/`, which `hypergrad dashboard` serves. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: { outDir: fileURLToPath(new URL('../../../dist/dashboard', import.meta.url)), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});
