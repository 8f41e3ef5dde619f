// The server's sign-in page opens beside the app even when the host is slow to answer the click
// (discovery on a slow network, a loaded workstation): the tab is opened within the click, while the
// browser still counts it as the user's gesture, and pointed at the sign-in page once the host answers.
// Opened only after the answer, Chromium's popup blocker refused it once the click's activation had
// expired (about 5 s) and nothing opened. The slow answer is made here by holding the page's sign-in
// call for 6 s.
import { expect, test } from '@playwright/test';
import { signOutIfSignedIn } from './support/app.ts';
import { chromiumLaunchOptions } from './support/chromium.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';

// Chromium's popup blocker on, as in a nurse's browser (Playwright turns it off by default).
test.use({ launchOptions: { ...chromiumLaunchOptions, ignoreDefaultArgs: ['--disable-popup-blocking'] } });

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo({ extraArgs: ['--sim-rate', '0'] });
});
test.afterAll(async () => {
  await demo?.stop();
});

test('a slow answer to "Sign in" still opens the server’s sign-in page, which cannot reach back into the app', async ({
  page,
}) => {
  await page.goto(demo.launchUrl);
  const signInButton = await signOutIfSignedIn(page);
  await page.route('**/api/call/signIn', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await route.continue();
  });
  const popup = page.waitForEvent('popup', { timeout: 30_000 });
  await signInButton.click();
  const signInPage = await popup;
  await expect(signInPage.getByRole('button', { name: 'Approve and sign in' })).toBeVisible({
    timeout: 30_000,
  });
  expect(await signInPage.evaluate(() => window.opener === null)).toBe(true);
  await signInPage.getByLabel(/charge nurse, Ward A/).check();
  await signInPage.getByRole('button', { name: 'Approve and sign in' }).click();
  // The code travels to the app by the tab's redirect: closing the tab before it lands loses it.
  await expect(signInPage.getByText(/return to the app/i)).toBeVisible();
  await signInPage.close();
  await expect(page.getByRole('status').filter({ hasText: 'Signed in as' })).toBeVisible({ timeout: 30_000 });
});
