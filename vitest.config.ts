import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The whole suite doubles as the API's conformance proof: see tests/support/conformance.ts.
    setupFiles: ['tests/support/conformance.ts'],
    pool: 'forks',
    // Two files at a time on two cores: browser, WordPress and fault tests stay responsive side by side.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
