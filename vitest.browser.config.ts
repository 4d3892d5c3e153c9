import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: end-to-end tests of the pages in `examples/` in headless Chromium, apart from `npm test`. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
