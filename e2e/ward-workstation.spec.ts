// A ward workstation in real Chromium, started exactly as documented in docs/deployment.md:
// `npm start -- --config docs/examples/local-ward-demo.json`. With nobody signed in the locked ward
// view shows the waiting critical by tier, bed and time, without a name or a value; the nurse who signs
// in sees it in full and her acknowledgment records her, not the ward identity. After she signs out
// the page holds nothing of it. Also: the browser opener is given a file, never the secret link.
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { AlertSummary } from '../src-main/shared/api.ts';
import { callApi, listAlerts, screenshot, signIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo({ extraArgs: ['--config', 'docs/examples/local-ward-demo.json'] });
});
test.afterAll(async () => {
  await demo?.stop();
});

test('locked ward view without names → the nurse signs in, sees it and acknowledges it as herself', async ({
  page,
}) => {
  await page.goto(demo.launchUrl);
  // The ward as people say it, not its label's code ("ward-a").
  const locked = page.getByRole('region', { name: 'Ward A', exact: true });
  const waiting = locked
    .getByRole('listitem')
    .filter({ hasText: /Critical waiting — Ward A bed \d+ — \d+ min/ });
  await expect(waiting.first()).toBeVisible({ timeout: 15_000 });
  await expect(locked.getByRole('status')).toHaveText(/^Watching Ward A\. Sign in to see details and act\.$/);
  await expect(page.locator('main')).not.toContainText('ward-a');
  const lockedText = await page.locator('main').innerText();
  await screenshot(page, 'ward-locked');

  await signIn(page, demo.launchUrl, 'charge nurse, Ward A');
  let critical: AlertSummary | undefined;
  await expect
    .poll(
      async () => {
        critical = (await listAlerts(page)).find((a) => a.tier === 'critical' && Boolean(a.patient?.name));
        return critical?.id;
      },
      { timeout: 15_000 },
    )
    .toBeTruthy();
  const name = critical?.patient?.name ?? '';
  expect(name.length).toBeGreaterThan(3);
  await expect(page.getByText(name).first()).toBeVisible();
  expect(lockedText).not.toContain(name);
  expect(lockedText).not.toMatch(/Potassium|\b6\.8\b/);

  // She opens the critical before acknowledging it, naming the patient it shows.
  await callApi(page, 'markSeen', { alertId: critical?.id });
  const acked = await callApi<AlertSummary>(page, 'acknowledge', {
    alertId: critical?.id,
    note: 'read back',
    patient: critical?.patient?.reference,
  });
  expect(acked.lifecycle?.acknowledgedBy).toBe('Practitioner/nurse-a');

  // Signed out: the page keeps nothing of it, and the locked view is back.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(locked).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
  expect(await listAlerts(page)).toEqual([]);
});

test('a critical arriving while nobody is signed in: its in-page notice says to sign in, not to open the app it is in', async ({
  page,
}) => {
  // Its own ward screen, at 600× so that criticals keep arriving while the page is open (a notice is
  // shown for what arrives after the page connected).
  const busy = await startDemo({
    extraArgs: ['--config', 'docs/examples/local-ward-demo.json', '--sim-rate', '600'],
  });
  try {
    await page.goto(busy.launchUrl);
    await expect(page.getByRole('region', { name: 'Ward A', exact: true })).toBeVisible({ timeout: 15_000 });
    const toast = page.locator('.toast').first();
    await expect(toast).toBeVisible({ timeout: 60_000 });
    await expect(toast).toContainText('Sign in to review.');
    await expect(toast).not.toContainText('Open Alert Monitor');
  } finally {
    await busy.stop();
  }
});

test('the browser opener gets the 0600 launch file, never the secret link', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'fake-opener-'));
  const record = join(bin, 'argv.txt');
  // Stands in for the desktop's opener (no desktop here): records exactly what it was given.
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const opened = await startDemo({
    open: true,
    env: { DISPLAY: ':99', PATH: `${bin}:${process.env['PATH'] ?? ''}` },
  });
  try {
    const given = () => (existsSync(record) ? readFileSync(record, 'utf8').trim() : '');
    await expect.poll(given, { timeout: 30_000 }).toBe(opened.launchFile);
    expect((statSync(opened.launchFile).mode & 0o777).toString(8)).toBe('600');
    const secret = new URL(opened.launchUrl).searchParams.get('launch') ?? '';
    expect(secret.length).toBeGreaterThan(20);
    expect(readFileSync(record, 'utf8')).not.toContain('launch=');
    expect(opened.output()).not.toContain('launch=');
  } finally {
    await opened.stop();
  }
});
