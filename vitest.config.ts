import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    // Real SQLite files and real loopback servers: keep workers few on 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
    // Deadlines, not expectations of speed: generous because the build machines are shared (a test
    // waits for conditions and ends as soon as they hold). No retries: a flaky test gets fixed.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    retry: 0,
  },
});
