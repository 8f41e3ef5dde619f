// The thin slice, end to end in real Chromium: embedded server -> SSE -> client core (SQLite) ->
// browser host -> renderer.
import { mkdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { HealthSnapshot } from '../src-main/shared/api.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';
import { callApi, watchHostEvents } from './support/app.ts';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => {
  await demo?.stop();
});

test('a critical potassium is pushed to the feed and opens with value and patient', async ({ page }) => {
  const pushed = await watchHostEvents(page);
  // Nothing the page asks for fails (the browser's own /favicon.ico request was a 404 on every load).
  const failed: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  await page.goto(demo.launchUrl);
  await expect(page.getByRole('heading', { name: 'Alert Monitor' })).toBeVisible();
  // The host's event stream is open before sign-in: the critical can only arrive as a push.
  await pushed.waitOpen();
  // The real SMART standalone launch: the server's sign-in page opens beside the app, the user picks a
  // demo identity and approves, the code returns to the host's loopback listener.
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign in to the local demo' }).click();
  const signInPage = await popup;
  await signInPage.getByLabel(/charge nurse, Ward A/).check();
  await signInPage.getByRole('button', { name: 'Approve and sign in' }).click();
  await expect(signInPage.getByText(/return to/i)).toBeVisible();
  await signInPage.close();
  await expect(page.getByRole('status').filter({ hasText: 'Signed in as Alex Rivera' })).toBeVisible({
    timeout: 30_000,
  });

  expect(failed).toEqual([]);
  // Her first sign-in here: the feed says since when it watches, and how far back the host read the
  // ward's open criticals (nothing older is shown). The subscriptions are made after the sign-in
  // returns, the read-back once they are: wait for the host to have both.
  const watch = async () => {
    const subscriptions = (await callApi<HealthSnapshot>(page, 'getHealth')).subscriptions;
    return {
      since:
        subscriptions
          .map((s) => s.watchingSince ?? '')
          .sort()
          .at(-1) ?? '',
      readBack: subscriptions.map((s) => s.readBackFrom ?? '').find((at) => at !== '') ?? '',
    };
  };
  await expect.poll(async () => Object.values(await watch()).includes(''), { timeout: 30_000 }).toBe(false);
  const { since, readBack } = await watch();
  const clock = (iso: string) => new Date(iso).toTimeString().slice(0, 5);
  expect(Date.parse(since) - Date.parse(readBack)).toBeGreaterThanOrEqual(12 * 3_600_000 - 60_000);
  await expect(page.locator('.watching-since')).toContainText(
    new RegExp(
      `Watching here since ${clock(since)}; critical results still open from (\\d+ \\w+ )?${clock(readBack)} on were read back\\. Anything earlier is not shown`,
    ),
  );

  const row = page.getByRole('button', { name: /Critical.*Potassium 6\.8 mmol\/L/ }).first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  // Pushed, not polled (how fast is for the benchmarks, not a test on a shared machine).
  const alerts = (await pushed.events()).flatMap((e) => (e.type === 'alert' ? [e.alert] : []));
  expect(
    alerts.filter((a) => a.tier === 'critical' && /Potassium 6\.8 mmol\/L/.test(a.headline)),
  ).not.toEqual([]);
  // The in-page interruption (browser host notifier) fired for it too.
  await expect(
    page.getByRole('alert').filter({ hasText: 'CRITICAL: Potassium 6.8 mmol/L' }).first(),
  ).toBeVisible();

  const patientName = (await row.locator('.feed-patient').innerText()).trim();
  expect(patientName).toMatch(/^\p{L}+( \p{L}+)+$/u);

  await row.click();
  const detail = page.getByRole('region', { name: /Potassium 6\.8 mmol\/L/ });
  // The value cell of the result (the trend table below repeats it).
  await expect(detail.getByText('6.8 mmol/L', { exact: true }).first()).toBeVisible();
  await expect(detail.getByLabel('Patient')).toContainText(patientName);
  await expect(detail.getByText(/critical high \(HH\)/)).toBeVisible();

  mkdirSync('e2e/artifacts', { recursive: true });
  await page.screenshot({ path: 'e2e/artifacts/critical-potassium.png', fullPage: true });
});

test('the browser host refuses a page without the launch secret', async ({ page }) => {
  const origin = new URL(demo.launchUrl).origin;
  const response = await page.goto(origin);
  expect(response?.status()).toBe(401);
  const api = await page.request.post(`${origin}/api/call/getSession`, {
    data: {},
    headers: { Origin: origin },
  });
  expect(api.status()).toBe(401);
});

test('a second start on the same data directory refuses clearly and leaves the first one working', async ({
  page,
}) => {
  await expect(startDemo({ dataDir: demo.dataDir })).rejects.toThrow(
    /Another Alert Monitor \(pid \d+\) is already running/,
  );
  await page.goto(demo.launchUrl);
  await expect(page.getByRole('heading', { name: 'Alert Monitor' })).toBeVisible();
});
