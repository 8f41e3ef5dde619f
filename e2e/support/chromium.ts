// How every spec launches Debian's Chromium, never a downloaded browser (offline build machines;
// `scripts/system-deps.sh` installs it, CHROMIUM_PATH points elsewhere). The flags keep it from
// reaching for Google services this network refuses. Shared by playwright.config.ts and the one spec
// that turns the popup blocker back on (Playwright turns it off by default).
import type { LaunchOptions } from '@playwright/test';

export const chromiumLaunchOptions: LaunchOptions = {
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
};
