// When the host dies or alerts are otherwise not arriving, the page says so in red and acts on nothing;
// it reconnects by itself, with its own cookie, once the host accepts it again.
import { expect, test, type Page } from '@playwright/test';
import { alertsWhere, isOpenCritical, signIn } from './support/app.ts';
import { startDemo } from './support/demo-process.ts';

const NOT_RECEIVED = /alerts are NOT being received/;

function redBanner(page: Page) {
  return page.locator('.health-degraded[role="alert"]').filter({ hasText: NOT_RECEIVED });
}

test('observation 5: host killed → red, timers stopped, acknowledging disabled with the reason; back by itself once the host accepts the page', async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  let demo = await startDemo({ extraArgs: ['--sim-rate', '0'] });
  const port = new URL(demo.launchUrl).port;
  try {
    await signIn(page, demo.launchUrl);
    const [critical] = (await alertsWhere(page, (l) => l.some(isOpenCritical), 'the demo critical')).filter(
      isOpenCritical,
    );
    await page.locator(`.feed-row[data-alert-id="${critical?.id}"]`).click();
    const detail = page.locator('.detail');
    const acknowledge = detail.getByRole('button', { name: /^Acknowledge/ });
    await expect(acknowledge).toBeEnabled();

    await demo.stop('SIGKILL');
    await expect(redBanner(page)).toBeVisible({ timeout: 10_000 });
    await expect(acknowledge).toBeDisabled();
    await expect(detail.getByText(/monitor host is not reachable/)).toBeVisible();
    await expect(page.getByText(/Not updating since \d\d:\d\d/)).toBeVisible();

    // The host comes back on the same data directory and port with a new launch secret. Opening its new
    // link in another tab renews the cookie the first page shares; the first page is not reloaded.
    demo = await startDemo({ dataDir: demo.dataDir, extraArgs: ['--port', port, '--sim-rate', '0'] });
    const other = await context.newPage();
    await other.goto(demo.launchUrl);
    await expect(other.getByRole('heading', { name: 'Alert Monitor' })).toBeVisible();
    // The first page reconnects by itself and shows the host's state now: signed out, still red.
    await expect(page.locator('.health-degraded').filter({ hasText: /Signed out/ })).toBeVisible({
      timeout: 30_000,
    });
    await expect(redBanner(page)).toBeVisible();
    await expect(page.getByText(/Lost the connection|does not accept this page/)).toHaveCount(0);
  } finally {
    await demo.stop();
  }
});

test('observation 5: after a restart on the same data directory the open page recovers without a new link', async ({
  page,
}) => {
  test.setTimeout(120_000);
  let demo = await startDemo({ extraArgs: ['--sim-rate', '0'] });
  const port = new URL(demo.launchUrl).port;
  try {
    await signIn(page, demo.launchUrl);
    await demo.stop('SIGKILL');
    await expect(redBanner(page)).toBeVisible({ timeout: 10_000 });
    demo = await startDemo({ dataDir: demo.dataDir, extraArgs: ['--port', port, '--sim-rate', '0'] });
    await expect(page.getByText(/Lost the connection|does not accept this page/)).toHaveCount(0, {
      timeout: 30_000,
    });
    await expect(
      page.getByRole('heading', { name: 'Sign in' }).or(page.getByText(/Signed in as/)),
    ).toBeVisible();
  } finally {
    await demo.stop();
  }
});

test('observation 5: signed out, and a cancelled sign-in, are red and say alerts are not being received', async ({
  page,
}) => {
  const demo = await startDemo({ extraArgs: ['--sim-rate', '0'] });
  try {
    await page.goto(demo.launchUrl);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(redBanner(page)).toContainText(/Signed out/);
    await expect(page.locator('.health-ok')).toHaveCount(0);

    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Sign in to the local demo' }).click();
    const signInPage = await popup;
    await signInPage.getByRole('button', { name: 'Deny' }).click();
    // The refusal travels to the app by the tab's redirect: closing the tab before it lands loses it.
    await expect(signInPage.getByText(/return to the app/i)).toBeVisible();
    await signInPage.close();
    await expect(redBanner(page)).toContainText(/refused or cancelled/, { timeout: 10_000 });
    await expect(page.locator('.health-ok')).toHaveCount(0);
  } finally {
    await demo.stop();
  }
});

test('host killed while a pharmacist reviews an order: the decisions are disabled with the reason, not refused afterwards', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const demo = await startDemo({ extraArgs: ['--sim-rate', '0'] });
  try {
    await signIn(page, demo.launchUrl, 'pharmacist');
    await page.getByRole('button', { name: 'Worklist' }).click();
    const orders = page.getByRole('list', { name: 'Orders', exact: true });
    await orders.getByRole('listitem').first().getByRole('button').first().click();
    const verify = page.getByRole('button', { name: 'Verify', exact: true });
    await expect(verify).toBeEnabled({ timeout: 30_000 });

    await demo.stop('SIGKILL');
    await expect(redBanner(page)).toBeVisible({ timeout: 10_000 });
    for (const name of ['Verify', 'Reject', 'Request clarification'])
      await expect(page.getByRole('button', { name, exact: true })).toBeDisabled();
    await expect(page.getByText(/monitor host is not reachable: nothing can be recorded/)).toBeVisible();
  } finally {
    await demo.stop();
  }
});
