// The demo tells the truth: results stamped with the wall clock (the 60× clock only decides what
// happens), one scripted K 6.8 per run, the start flags the README names, Esc leaving the search box,
// and no remembered server that never worked. (The README's rates come from bench/demo-rates.ts.)
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { HealthSnapshot, ResourceView } from '../src-main/shared/api.ts';
import {
  alertsWhere,
  callApi,
  isOpenCritical,
  listAlerts,
  signIn,
  signOutIfSignedIn,
} from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';

test('observation 10: results are stamped with the wall clock, never in the future, at any simulation speed', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const demo = await startDemo({ extraArgs: ['--sim-rate', '600', '--sim-start', '04:30'] });
  try {
    await signIn(page, demo.launchUrl);
    const alerts = await alertsWhere(page, (l) => l.filter(isOpenCritical).length >= 5, 'five criticals');
    const now = Date.now();
    for (const alert of alerts) expect(Date.parse(alert.occurredAt), alert.headline).toBeLessThanOrEqual(now);
    const critical = alerts.find((a) => isOpenCritical(a) && a.focus.startsWith('Observation/'));
    const view = await callApi<ResourceView>(page, 'getResource', { reference: critical?.focus ?? '' });
    const effective = Date.parse(String(view.resource?.['effectiveDateTime']));
    expect(effective).toBeLessThanOrEqual(Date.now());
    expect(effective).toBeGreaterThan(now - 10 * 60_000);
  } finally {
    await demo.stop();
  }
});

test.describe('a still demo', () => {
  let demo: DemoProcess;
  test.beforeAll(async () => {
    demo = await startDemo({ extraArgs: ['--sim-rate', '0'] });
  });
  test.afterAll(async () => {
    await demo?.stop();
  });

  test('observation 10: one scripted K 6.8 per run, however often someone signs in', async ({ page }) => {
    test.setTimeout(90_000);
    const criticalLab = (topic: string) => topic.endsWith('/critical-lab-result');
    await signIn(page, demo.launchUrl);
    await alertsWhere(page, (l) => l.some((a) => criticalLab(a.topic)), 'the demo critical');
    await signIn(page, demo.launchUrl); // signs out, then in again: a new subscription in the same run
    await expect(page.getByRole('status').filter({ hasText: /Live: \d+ subscription/ })).toBeVisible({
      timeout: 15_000,
    });
    // The demo's critical would follow the subscription by half a second, on the same stream as the
    // heartbeats: once a heartbeat 2 s after the stream went live has arrived, it would have too.
    const liveAt = Date.now();
    await expect
      .poll(
        async () => {
          const health = await callApi<HealthSnapshot>(page, 'getHealth');
          const lab = health.subscriptions.find((s) => criticalLab(s.topic));
          return Date.parse(lab?.lastHeartbeatAt ?? '') - liveAt;
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThan(2_000);
    const potassium = (await listAlerts(page)).filter((a) => criticalLab(a.topic));
    expect(potassium.map((a) => a.headline)).toEqual(['Potassium 6.8 mmol/L']);
  });

  test('observation 10: Esc leaves the search box, so j moves in the feed instead of typing', async ({
    page,
  }) => {
    await signIn(page, demo.launchUrl);
    await expect(page.locator('.feed-row').first()).toBeVisible({ timeout: 10_000 });
    await page.locator('body').focus();
    await page.keyboard.press('/');
    const search = page.getByRole('searchbox', { name: 'Search' });
    await expect(search).toBeFocused();
    await page.keyboard.type('pot');
    await page.keyboard.press('Escape');
    await expect(search).not.toBeFocused();
    await page.keyboard.press('j');
    await expect(search).toHaveValue('pot');
    await expect(page.locator('.feed-row:focus')).toHaveCount(1);
  });

  test('observation 10: a server that could not be reached is not remembered on the sign-in form', async ({
    page,
  }) => {
    await page.goto(demo.launchUrl);
    await signOutIfSignedIn(page);
    await page.getByRole('radio', { name: 'A hospital FHIR server' }).check();
    await page.getByLabel('FHIR base URL').fill('http://127.0.0.1:9/fhir');
    await page.getByLabel('Client id').fill('alert-monitor');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(
      page
        .locator('.sign-in')
        .getByRole('alert')
        .filter({ hasText: /could not be reached/ }),
    ).toBeVisible({
      timeout: 20_000,
    });
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(page.getByText('127.0.0.1:9')).toHaveCount(0);
  });
});

test('observation 10: BROWSER=none opens nothing; BROWSER=<command> opens the launch file with it', async () => {
  test.setTimeout(90_000);
  // Stand-ins for the desktop's link opener and a browser: they only record what they were asked to open.
  const bin = mkdtempSync(join(tmpdir(), 'opener-'));
  const opened = join(bin, 'opened.txt');
  for (const name of ['xdg-open', 'fake-browser']) {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $1" >> "${opened}"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const env = { DISPLAY: ':99', PATH: `${bin}:${process.env['PATH'] ?? ''}` };

  const none = await startDemo({
    open: true,
    env: { ...env, BROWSER: 'none' },
    extraArgs: ['--sim-rate', '0'],
  });
  try {
    await expect.poll(() => none.output()).toContain('Not opening a browser (BROWSER=none)');
    expect(existsSync(opened)).toBe(false);
  } finally {
    await none.stop();
  }

  const named = await startDemo({
    open: true,
    env: { ...env, BROWSER: join(bin, 'fake-browser') },
    extraArgs: ['--sim-rate', '0'],
  });
  try {
    await expect.poll(() => existsSync(opened)).toBe(true);
    await expect.poll(() => readFileSync(opened, 'utf8')).toBe(`fake-browser ${named.launchFile}\n`);
  } finally {
    await named.stop();
  }
});
