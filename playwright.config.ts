import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/support/chromium.ts';

// Debian's Chromium, never a downloaded browser (e2e/support/chromium.ts).
// No retries anywhere: a test that needs a second chance is flaky and gets fixed, not re-run. Deadlines
// are generous because the build machines are shared: a wait ends as soon as its condition holds.
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env['CI'],
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
});
