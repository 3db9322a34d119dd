import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'native/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Captures run on native threads; forks keep one addon instance per file.
    pool: 'forks',
    env: { TZ: 'UTC', LC_ALL: 'C' },
  },
});
