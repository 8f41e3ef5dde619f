// The renderer, end to end in Chromium against the browser host, the embedded server and the simulator:
// the live feed, resource views, health panel, keyboard use, accessibility and CSP.
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { startDemo, type DemoProcess } from './support/demo-process.ts';
import { screenshot, signIn, watchCsp, watchHostEvents } from './support/app.ts';

const POTASSIUM = /Critical.*Potassium.*6\.8 mmol\/L/;

async function axe(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map(
      (v) => `${label}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([]);
}

test.describe('charge nurse', () => {
  let demo: DemoProcess;
  test.beforeAll(async () => {
    demo = await startDemo();
  });
  test.afterAll(async () => {
    await demo?.stop();
  });

  test('critical pushed to the feed, open with patient banner and trend, acknowledge, health heartbeats, axe, no CSP violations', async ({
    page,
  }) => {
    test.setTimeout(120_000);
    const csp = await watchCsp(page);
    const pushed = await watchHostEvents(page);
    // The host's event stream is open before sign-in, so the critical (emitted after the subscription
    // is live) can only reach the page as a push.
    await signIn(page, demo.launchUrl, 'charge nurse, Ward A', { beforeSignIn: pushed.waitOpen });

    const row = page.getByRole('button', { name: POTASSIUM }).first();
    await expect(row).toBeVisible({ timeout: 30_000 });
    // Pushed, not polled: the page received the classified critical on the host's event stream. How fast
    // that is belongs to the benchmarks (bench:client:latency, bench:renderer); the time from the
    // server's notification timestamp to the row is reported here, not asserted.
    const alerts = (await pushed.events()).flatMap((e) => (e.type === 'alert' ? [e.alert] : []));
    expect(
      alerts.filter((a) => a.tier === 'critical' && /Potassium 6\.8 mmol\/L/.test(a.headline)),
    ).not.toEqual([]);
    const seenAt = Date.now();
    const occurredAt = await row.locator('time').getAttribute('datetime');
    expect(occurredAt).not.toBeNull();
    test.info().annotations.push({
      type: 'emit-to-feed ms',
      description: String(seenAt - Date.parse(occurredAt as string)),
    });

    // Pinned with its timer, announced to screen readers, counted as unread.
    const pinned = page.getByRole('region', { name: /Unacknowledged critical results/ });
    await expect(pinned).toContainText(/of the 30 min target/);
    await expect(page.getByTestId('announcer')).toContainText(/New critical result: .*Potassium/);
    await expect(page.getByText(/1 critical/).first()).toBeVisible();
    await screenshot(page, 'feed');

    const alertId = await row.getAttribute('data-alert-id');
    expect(alertId).not.toBeNull();
    await row.click();
    const detail = page.getByRole('region', { name: /Potassium.*6\.8 mmol\/L/ });
    await expect(detail.locator('.resource .value')).toHaveText('6.8 mmol/L');
    const banner = detail.getByRole('group', { name: 'Patient' });
    await expect(banner).toContainText(/MRN \S+/);
    await expect(banner).toContainText(/\d+ y/);
    // The bed named once (the Location is already called "Ward A bed N": never "Bed Ward A bed N").
    await expect(banner.locator('.pb-field').last()).toHaveText(/^Ward A bed \d+$/);
    await expect(detail.getByRole('heading', { name: /^Trend/ })).toBeVisible();
    await expect(detail.getByRole('table')).toContainText('this result');
    await expect(detail.getByText(/Reference range/)).toBeVisible();
    await screenshot(page, 'alert-detail');
    await axe(page, 'alert detail');

    await detail.getByRole('button', { name: /Acknowledge/ }).click();
    await expect(detail.getByText('Acknowledged')).toBeVisible();
    // Its line leaves the pinned list (the simulated ward may have pinned another critical meanwhile).
    await expect(pinned.locator(`[data-alert-id="${alertId}"]`)).toHaveCount(0);

    await page.getByRole('button', { name: 'Health' }).click();
    const health = page.getByRole('region', { name: 'Subscription health' });
    await expect(health.getByRole('cell', { name: /^(SSE|WEBSOCKET)$/ }).first()).toBeVisible();
    // Heartbeats every 10 s in the demo: the age becomes a number of seconds.
    await expect(health.getByTestId('heartbeat-age').first()).toHaveText(/\d+ s ago/, { timeout: 30_000 });
    await expect(health.getByTestId('token-countdown')).toHaveText(/min|s$/);
    await screenshot(page, 'health');
    await axe(page, 'health');

    await page.getByRole('button', { name: 'Ward board' }).click();
    const board = page.getByRole('region', { name: 'Ward board' });
    await expect(board.getByText(/of \d+ beds occupied/)).toBeVisible();
    await expect(board.locator('.bed.occupied').first()).toBeVisible({ timeout: 30_000 });
    await screenshot(page, 'ward-board');
    await axe(page, 'ward board');

    await page.getByRole('button', { name: 'Alerts' }).click();
    await axe(page, 'feed');
    expect(csp).toEqual([]);
  });

  test('keyboard only: j moves, Enter opens, a acknowledges, ? lists the shortcuts', async ({ page }) => {
    await signIn(page, demo.launchUrl);
    // The feed from the previous test (same data directory) plus whatever the simulator adds.
    await expect(page.locator('.feed-row').first()).toBeVisible({ timeout: 30_000 });
    await page.locator('body').focus();
    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeHidden();

    // j puts the cursor on the newest row; focus follows it after a render (awaited before Enter). The
    // moves from row to row, also faster than renders, are in e2e/right-patient.spec.ts (a busier feed).
    const focused = page.locator('.feed-row:focus');
    await page.keyboard.press('j');
    await expect(focused).toHaveCount(1);
    const id = await focused.getAttribute('data-alert-id');
    await page.keyboard.press('Enter');
    const detail = page.locator('.detail');
    await expect(detail.getByRole('heading', { level: 2 })).toBeVisible();
    // The feed's row: an open critical also has a line in the critical list with the same id.
    await expect(page.locator(`.feed-row[data-alert-id="${id}"]`)).toHaveAttribute('aria-current', 'true');
    if ((await detail.getByText('Acknowledged').count()) === 0) {
      // `a` is gated like the button (opened here, host and server reachable): wait for the gate to open
      // (the host records the opening first), then press.
      await expect(detail.getByRole('button', { name: /^Acknowledge/ })).toBeEnabled();
      await page.keyboard.press('a');
    }
    await expect(detail.getByText('Acknowledged')).toBeVisible();

    // Search with "/" and typing, then Escape-free return to the list with j.
    await page.keyboard.press('/');
    await expect(page.getByRole('searchbox', { name: 'Search' })).toBeFocused();
    await page.keyboard.type('zzz-no-such-thing');
    await expect(page.getByText('No alerts match the filters.')).toBeVisible();
    await screenshot(page, 'keyboard-search');
  });
});

test('pharmacist: the worklist sorted stat → urgent → routine, each order reviewed with its allergies', async ({
  page,
}) => {
  test.setTimeout(120_000);
  // Ten simulated hours a minute, so orders of every priority arrive within seconds.
  const demo = await startDemo({ extraArgs: ['--sim-rate', '600'] });
  try {
    await signIn(page, demo.launchUrl, 'pharmacist');
    await page.getByRole('button', { name: 'Worklist' }).click();
    const queue = page.getByRole('list', { name: 'Orders', exact: true });
    await expect(queue.getByRole('listitem').nth(4)).toBeVisible({ timeout: 90_000 });
    const priorities = await queue.locator('.queue-open .priority').allInnerTexts();
    const rank: Record<string, number> = { STAT: 0, ASAP: 1, URGENT: 2, ROUTINE: 3 };
    const ranks = priorities.map((p) => rank[p.trim()] ?? 9);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    await queue.getByRole('listitem').first().locator('.queue-open').click();
    await expect(
      page.getByRole('region', { name: 'Order review' }).getByRole('heading', { name: 'Allergies' }),
    ).toBeVisible();
    await screenshot(page, 'worklist-busy');
    await axe(page, 'worklist');
  } finally {
    await demo.stop();
  }
});
