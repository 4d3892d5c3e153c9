import { defineConfig } from 'vitest/config';

/** `npm run test:webgpu`: the webgpu suite (llvmpipe on a machine without a GPU), apart from `npm test`. */
export default defineConfig({
  test: {
    include: ['test/webgpu/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
