// Kill the whole demo (server + host) → the page says alerts are not being received → restart with the
// same data directory and port → signed in again, the monitor resumes from its cursor with no event
// number missing.
import { expect, test } from '@playwright/test';
import { startDemo } from './support/demo-process.ts';
import { listAlerts, screenshot, signIn } from './support/app.ts';

test('kill the demo → lost banner → restart same data dir → recovered with no missing events', async ({
  page,
}) => {
  test.setTimeout(120_000);
  let demo = await startDemo();
  const port = new URL(demo.launchUrl).port;
  try {
    await signIn(page, demo.launchUrl);
    await expect(page.getByRole('button', { name: /Critical/ }).first()).toBeVisible({ timeout: 30_000 });
    const before = await listAlerts(page);
    expect(before.length).toBeGreaterThan(0);

    await demo.stop('SIGKILL');
    const banner = page.getByRole('alert').filter({ hasText: /alerts are NOT being received/ });
    await expect(banner).toBeVisible({ timeout: 30_000 });
    await screenshot(page, 'connection-lost');

    demo = await startDemo({ dataDir: demo.dataDir, extraArgs: ['--port', port] });
    await signIn(page, demo.launchUrl);
    await expect(banner).toBeHidden({ timeout: 30_000 });
    await expect(page.getByRole('status').filter({ hasText: /Live: \d+ subscription/ })).toBeVisible({
      timeout: 30_000,
    });
    // Everything seen before is still there, and per subscription the event numbers have no holes.
    await expect
      .poll(async () => (await listAlerts(page)).length, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(before.length);
    const after = await listAlerts(page);
    const ids = new Set(after.map((a) => a.id));
    expect(before.filter((a) => !ids.has(a.id))).toEqual([]);
    const bySub = new Map<string, number[]>();
    for (const a of after)
      bySub.set(a.subscriptionKey, [...(bySub.get(a.subscriptionKey) ?? []), Number(a.eventNumber)]);
    for (const [key, numbers] of bySub) {
      const sorted = [...numbers].sort((a, b) => a - b);
      const first = sorted[0] ?? 1;
      const missing = sorted.filter((n, i) => i > 0 && n !== (sorted[i - 1] ?? 0) + 1);
      expect({ key, first, missing }).toEqual({ key, first, missing: [] });
    }
    await screenshot(page, 'recovered');
  } finally {
    await demo.stop();
  }
});
