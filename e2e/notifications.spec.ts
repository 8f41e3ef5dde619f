// Desktop notifications: privacy mode by default (test and bed, no name, no value), exactly one OS
// notification per critical whatever the page's permission, and withdrawn once acknowledged (one for
// several criticals once the last of them is). With the Debian desktop tools the demo runs beside a
// real notification daemon (dunst in its own X display and D-Bus session); the page's own Notification
// API is observed in the page.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../src-main/server/server.ts';
import type { AlertSummary, HealthSnapshot } from '../src-main/shared/api.ts';
import { alertsWhere, callApi, listAlerts, signIn, signOutIfSignedIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';
import {
  displayedCount,
  history,
  missingDesktopTools,
  startDesktopSession,
} from './support/desktop-session.ts';
import { recordNotifications } from './support/page-probes.ts';

const missing = missingDesktopTools();
/** A host with no session bus raises no OS notification itself: the page's Notification API does. */
const NO_SESSION_BUS = { DBUS_SESSION_BUS_ADDRESS: '' };

/** The demo critical, once the host has delivered its notification. */
async function notifiedCritical(page: Page): Promise<AlertSummary> {
  const list = await alertsWhere(
    page,
    (l) => l.some((a) => a.tier === 'critical' && a.lifecycle?.notifyState === 'notified' && a.patient?.name),
    'the demo critical to be notified',
  );
  return list.find((a) => a.tier === 'critical' && a.lifecycle?.notifyState === 'notified') as AlertSummary;
}

/** A still demo beside a real notification daemon, and its session bus; skipped without the tools. */
async function startDesktopDemo(): Promise<{ demo: DemoProcess; bus: string }> {
  test.skip(missing.length > 0, `needs ${missing.join(', ')} (Debian: xvfb dbus dunst libnotify-bin)`);
  test.setTimeout(90_000);
  const demo = await startDemo({ desktop: true, extraArgs: ['--sim-rate', '0'] });
  return { demo, bus: demo.busAddress ?? '' };
}

async function allowPageNotifications(context: BrowserContext, launchUrl: string): Promise<void> {
  await context.grantPermissions(['notifications'], { origin: new URL(launchUrl).origin });
}

async function openAndAcknowledge(page: Page, alert: AlertSummary): Promise<void> {
  await page.locator(`.feed-row[data-alert-id="${alert.id}"]`).click();
  await page
    .locator('.detail')
    .getByRole('button', { name: /^Acknowledge/ })
    .click();
  await expect(page.locator('.detail').getByText(/Acknowledged by/)).toBeVisible();
}

test('observation 6: one OS notification per critical with the host raising it (D-Bus), private by default, withdrawn on acknowledgment', async ({
  page,
  context,
}) => {
  const { demo, bus } = await startDesktopDemo();
  try {
    expect(bus).not.toBe('');
    await allowPageNotifications(context, demo.launchUrl);
    const pageNotifications = await recordNotifications(page);
    await signIn(page, demo.launchUrl);
    const critical = await notifiedCritical(page);

    // The page was allowed to notify, yet the host raised the one notification: the page raised none.
    await expect.poll(() => displayedCount(bus)).toBe(1);
    await expect(page.locator('.toast')).toContainText('CRITICAL: Potassium 6.8 mmol/L');
    expect(await pageNotifications()).toEqual([]);

    await openAndAcknowledge(page, critical);
    await expect.poll(() => displayedCount(bus), { timeout: 10_000 }).toBe(0);
    const [shown] = history(bus);
    // Privacy mode, on by default: where to go and what about, but no name and no value.
    expect(shown?.summary).toBe('Critical result: Potassium');
    expect(shown?.body).toMatch(/^Ward A bed \d+ — Open Alert Monitor to review\.$/);
    expect(JSON.stringify(shown)).not.toContain(critical.patient?.name ?? '?');
  } finally {
    await demo.stop();
  }
});

test('observation 6: without a notification service the page raises the one notification, private, and closes it on acknowledgment; the toast names the patient', async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  const demo = await startDemo({ extraArgs: ['--sim-rate', '0'], env: NO_SESSION_BUS });
  try {
    await allowPageNotifications(context, demo.launchUrl);
    const pageNotifications = await recordNotifications(page);
    await signIn(page, demo.launchUrl);
    const critical = await notifiedCritical(page);

    await expect.poll(async () => (await pageNotifications()).length).toBe(1);
    const [raised] = await pageNotifications();
    expect(raised).toMatchObject({ title: 'Critical result: Potassium', tag: critical.id, closed: false });
    expect(JSON.stringify(raised)).not.toMatch(new RegExp(`${critical.patient?.name}|6\\.8`));
    // Inside the app the toast names the result, the patient with the MRN and the bed.
    const toast = page.locator('.toast').first();
    await expect(toast).toContainText('CRITICAL: Potassium 6.8 mmol/L');
    await expect(toast).toContainText(`${critical.patient?.name} · MRN ${critical.patient?.mrn}`);
    await expect(toast).not.toContainText('Open Alert Monitor');

    await openAndAcknowledge(page, critical);
    await expect.poll(async () => (await pageNotifications())[0]?.closed).toBe(true);
    await expect(page.locator('.toast')).toHaveCount(0);

    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByLabel(/Privacy mode/)).toBeChecked();
  } finally {
    await demo.stop();
  }
});

const HOSPITAL = 'Hospital server';
const SUMMARY_TITLE = '4 critical results arrived while offline';

/**
 * The hospital's server, in this process (still: results come when a test writes them), and a
 * workstation configuration that signs in to it.
 */
async function hospitalServer(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const server = await startServer({
    port: 0,
    dbPath: join(dir, 'server.sqlite'),
    simulate: { autoStart: false },
  });
  const config = join(dir, 'workstation.json');
  writeFileSync(
    config,
    JSON.stringify({
      servers: [{ name: HOSPITAL, fhirBase: server.fhirBase, clientId: 'alert-monitor-desktop' }],
    }),
  );
  return { dir, server, config };
}

/**
 * The charge nurse signs in until her subscriptions are live, signs out, four Ward A criticals arrive,
 * and she signs in again: they are caught up as one notification (its toast shown). The four, read.
 */
async function fourCriticalsWhileAway(page: Page, host: DemoProcess, server: RunningServer) {
  // Each sign-in reads a fresh one-time link from the launch file (host.launchUrl).
  await signIn(page, host.launchUrl, 'charge nurse, Ward A', { server: HOSPITAL });
  await expect
    .poll(async () => {
      const health = await callApi<HealthSnapshot>(page, 'getHealth');
      return health.subscriptions.length > 0 && health.subscriptions.every((s) => s.connection === 'live');
    })
    .toBe(true);
  await signOutIfSignedIn(page, HOSPITAL);
  for (let i = 0; i < 4; i++) server.simulator?.emitCriticalPotassium('ward-a');
  await signIn(page, host.launchUrl, 'charge nurse, Ward A', { server: HOSPITAL });
  await expect(page.locator('.toast')).toContainText(SUMMARY_TITLE);
  return alertsWhere(
    page,
    (l) => l.filter((a) => a.tier === 'critical' && a.patient?.name).length === 4,
    'the four criticals, read',
  );
}

test('criticals that arrived while nobody was signed in are one notification, closed only when the last of them is acknowledged', async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  // The hospital's server runs in this process, so the test writes the results while the nurse is away.
  const { server, config } = await hospitalServer('summary-e2e-');
  const host = await startDemo({
    extraArgs: ['--config', config],
    embeddedServer: false,
    env: NO_SESSION_BUS,
  });
  try {
    await allowPageNotifications(context, host.launchUrl);
    const pageNotifications = await recordNotifications(page);
    // Four criticals while nobody is signed in; back, they are caught up as one notification.
    const criticals = await fourCriticalsWhileAway(page, host, server);
    await expect.poll(async () => (await pageNotifications()).map((n) => n.title)).toEqual([SUMMARY_TITLE]);
    // The page says what came while she was away, its time in the one format every time has.
    await expect(page.locator('.catch-up')).toContainText(
      /While you were signed out \(since (\d{1,2} [A-Z][a-z]{2} (\d{4} )?)?\d\d:\d\d\): 4 alerts arrived, 4 critical\./,
    );

    // Three acknowledged: the notification still stands for the fourth.
    for (const critical of criticals.slice(0, 3)) await openAndAcknowledge(page, critical);
    expect((await pageNotifications())[0]?.closed).toBe(false);
    await expect(page.locator('.toast')).toContainText(SUMMARY_TITLE);

    // The last: it goes, in the page and from the desktop.
    await openAndAcknowledge(page, criticals[3] as AlertSummary);
    await expect.poll(async () => (await pageNotifications())[0]?.closed).toBe(true);
    await expect(page.locator('.toast')).toHaveCount(0);
    expect((await listAlerts(page)).filter((a) => a.state === 'new')).toEqual([]);
  } finally {
    await host.stop();
    await server.close();
  }
});

test('a notification for several criticals raised before the host restarted leaves the desktop with the last of them, acknowledged after it', async ({
  page,
}) => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')} (Debian: xvfb dbus dunst libnotify-bin)`);
  test.setTimeout(150_000);
  // One desktop (display, session bus, notification daemon) that outlives the host, and the hospital's
  // server in this process, as in the test above.
  const desktop = await startDesktopSession();
  const { dir, server, config } = await hospitalServer('restart-e2e-');
  const start = () =>
    startDemo({
      dataDir: join(dir, 'workstation'),
      extraArgs: ['--config', config],
      embeddedServer: false,
      env: { DBUS_SESSION_BUS_ADDRESS: desktop.bus },
    });
  let host = await start();
  try {
    const criticals = await fourCriticalsWhileAway(page, host, server);
    // The host raised the one notification for the four on the desktop.
    await expect.poll(() => displayedCount(desktop.bus), { timeout: 20_000 }).toBe(1);
    for (const critical of criticals.slice(0, 3)) await openAndAcknowledge(page, critical);
    expect(displayedCount(desktop.bus)).toBe(1);

    // The host restarts (an update, a crash); the desktop and its notification stay.
    await host.stop();
    host = await start();
    await signIn(page, host.launchUrl, 'charge nurse, Ward A', { server: HOSPITAL });
    expect(displayedCount(desktop.bus)).toBe(1);

    // The last of the four acknowledged after the restart: the notification leaves the desktop.
    await openAndAcknowledge(page, criticals[3] as AlertSummary);
    await expect.poll(() => displayedCount(desktop.bus), { timeout: 10_000 }).toBe(0);
    expect(history(desktop.bus)[0]?.summary).toBe(SUMMARY_TITLE);
  } finally {
    await host.stop();
    await server.close();
    await desktop.stop();
  }
});

test('a stat order reaches the signed-in pharmacist as one OS notification (D-Bus): an order to verify, no drug, no name; withdrawn once the order is decided', async ({
  page,
}) => {
  // The ward is still (no simulated traffic): the one order is the demo's scripted stat order, written
  // once the pharmacist's subscriptions are live.
  const { demo, bus } = await startDesktopDemo();
  try {
    expect(bus).not.toBe('');
    await signIn(page, demo.launchUrl, 'pharmacist');
    const list = await alertsWhere(
      page,
      (l) =>
        l.some((a) => a.focus.startsWith('MedicationRequest/') && a.lifecycle?.notifyState === 'notified'),
      'the stat order to be notified',
    );
    const order = list.find((a) => a.focus.startsWith('MedicationRequest/')) as AlertSummary;
    expect(order.tier).toBe('high');

    await expect.poll(() => displayedCount(bus)).toBe(1);
    // In the app it waits in her worklist among the stat orders, named in full.
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Worklist' }).click();
    const row = page.locator('.queue-item').filter({ hasText: /furosemide/i });
    await expect(row).toHaveCount(1);
    await expect(row.locator('.priority')).toHaveText('STAT');

    // Decided, the order no longer asks for anyone: its notification leaves the desktop by itself.
    const decided = await callApi<{ accepted: boolean }>(page, 'decideOrder', {
      order: order.focus,
      decision: 'reject',
      reason: 'Duplicate of this morning’s furosemide',
      overrides: [],
    });
    expect(decided.accepted).toBe(true);
    await expect.poll(() => displayedCount(bus), { timeout: 10_000 }).toBe(0);
    await expect(row).toHaveCount(0);
    // What the daemon showed, read from its history.
    expect(history(bus)).toHaveLength(1);
    const [shown] = history(bus);
    expect(shown?.summary).toBe('High-priority order to verify');
    expect(shown?.body).toMatch(/^Ward A bed \d+ — Open Alert Monitor to review\.$/);
    expect(JSON.stringify(shown)).not.toMatch(new RegExp(`furosemide|${order.patient?.name ?? '?'}`, 'i'));
  } finally {
    await demo.stop();
  }
});
