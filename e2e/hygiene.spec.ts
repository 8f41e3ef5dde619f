// Secret and PHI hygiene in the browser host: every API response and every pushed event the
// page receives during a sign-in and a critical alert is recorded, and none may carry an access or
// refresh token (the server issues them as `at_…` / `rt_…`). Nothing token-like may land in the
// client's data directory, and the demo's output may not name the patient shown on screen.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startDemo, type DemoProcess } from './support/demo-process.ts';

const TOKEN_LIKE = /\b(?:at|rt)_[A-Za-z0-9_-]{16,}/;

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => {
  await demo?.stop();
});

test('no token crosses to the page, none is stored by the client, no patient name in the output', async ({
  page,
}) => {
  const responses: string[] = [];
  page.on('response', async (response) => {
    const type = response.headers()['content-type'] ?? '';
    if (type.includes('text/event-stream')) return;
    try {
      responses.push(`${response.url()}\n${await response.text()}`);
    } catch {
      // redirects and aborted requests have no body
    }
  });
  // Every pushed event, as the page sees it.
  await page.addInitScript(() => {
    const pushed: string[] = [];
    (window as unknown as { __pushed: string[] }).__pushed = pushed;
    const Original = window.EventSource;
    class Recording extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        const record = (event: Event) => pushed.push((event as MessageEvent<string>).data);
        const add = this.addEventListener.bind(this);
        this.addEventListener = ((
          type: string,
          listener: EventListener,
          options?: AddEventListenerOptions,
        ) => {
          add(type, record);
          add(type, listener, options);
        }) as typeof this.addEventListener;
        add('message', record);
      }
    }
    window.EventSource = Recording;
  });

  await page.goto(demo.launchUrl);
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign in to the local demo' }).click();
  const signInPage = await popup;
  await signInPage.getByLabel(/charge nurse, Ward A/).check();
  await signInPage.getByRole('button', { name: 'Approve and sign in' }).click();
  await expect(signInPage.getByText(/return to/i)).toBeVisible();
  await signInPage.close();
  const row = page.getByRole('button', { name: /Critical.*Potassium 6\.8 mmol\/L/ }).first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.click();
  const patientName = (await row.locator('.feed-patient').innerText()).trim();
  // The detail's reads have answered once it shows the patient (waited for, not slept on): their
  // responses are among those checked below.
  const detail = page.getByRole('region', { name: /Potassium 6\.8 mmol\/L/ });
  await expect(detail.getByRole('group', { name: 'Patient' })).toContainText(patientName, {
    timeout: 30_000,
  });

  const pushed = await page.evaluate(() => (window as unknown as { __pushed: string[] }).__pushed);
  expect(responses.length).toBeGreaterThan(3);
  for (const body of responses) expect(body, body.slice(0, 200)).not.toMatch(TOKEN_LIKE);
  for (const data of pushed) expect(data, data.slice(0, 200)).not.toMatch(TOKEN_LIKE);
  // Storage the page can reach.
  const storage = await page.evaluate(
    () => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie,
  );
  expect(storage).not.toMatch(TOKEN_LIKE);

  // The client's files (the browser host keeps tokens in memory only). The embedded server's own
  // database is the issuer and is skipped.
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(demo.dataDir);
  const clientFiles = files.filter((f) => !/server/i.test(f));
  expect(clientFiles.length).toBeGreaterThan(0);
  for (const file of clientFiles) expect(readFileSync(file).toString('latin1'), file).not.toMatch(TOKEN_LIKE);

  expect(patientName.length).toBeGreaterThan(3);
  expect(demo.output()).not.toContain(patientName);
  expect(demo.output()).not.toMatch(TOKEN_LIKE);
});
