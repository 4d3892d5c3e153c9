import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Run apart: npm run test:webgpu (vitest.webgpu.config.ts) and npm run test:browser (vitest.browser.config.ts).
    exclude: [...configDefaults.exclude, 'test/webgpu/**', 'test/browser/**'],
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
