import { defineConfig } from '@playwright/test';

// Debian's Chromium, never a downloaded browser (offline build machines; `scripts/system-deps.sh`
// installs it, CHROMIUM_PATH points elsewhere). The flags keep it from reaching for Google services this
// network refuses.
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
    launchOptions: {
      // An empty CHROMIUM_PATH counts as unset, as in scripts/system-deps.sh.
      executablePath: process.env['CHROMIUM_PATH'] || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
