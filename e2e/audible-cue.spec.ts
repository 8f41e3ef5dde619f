// Chromium lets a page sound only after a click in it. A page opened without one (the workstation's
// browser restarted on a signed-in session, a link opened in a new tab) cannot sound the cue, and there `resume()` of
// its audio neither resolves nor rejects. The page must say so and offer the click that allows it: a
// cue that looks on but is silent is silence looking like calm.
//
// Every Playwright query of the page (a locator, an evaluate, a trace snapshot) runs as a user
// gesture, which would lift the block; so this spec records no trace, and between opening the page
// and the offer the test only listens: an init script reports over the console when the offer appears
// and how many tones had started by then.
import { expect, test, type ConsoleMessage } from '@playwright/test';
import { alertsWhere, isOpenCritical, signIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';
import { recordTones } from './support/page-probes.ts';

test.use({ trace: 'off' });

const OFFER = 'audible-cue-test: offer shown, tones started: ';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo({ extraArgs: ['--sim-rate', '600', '--sim-start', '04:30'] });
});
test.afterAll(async () => {
  await demo?.stop();
});

test('a page the browser keeps silent says so and offers the click that lets the cue sound', async ({
  context,
}) => {
  test.setTimeout(120_000);
  // Signed in with clicks, in a first tab, until a critical is open.
  const first = await context.newPage();
  await signIn(first, demo.launchUrl);
  await alertsWhere(first, (l) => l.some(isOpenCritical), 'an open critical');
  await first.close();

  // A new tab on the signed-in session (a browser restarted, a link opened): no click in it yet.
  const page = await context.newPage();
  const tones = await recordTones(page);
  await page.addInitScript((marker) => {
    const report = () => {
      if (!document.querySelector('.cue-unblock')) return false;
      console.warn(marker + String((window as unknown as { __tones: number }).__tones));
      return true;
    };
    new MutationObserver((_, observer) => {
      if (report()) observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  }, OFFER);
  const offered = page.waitForEvent('console', {
    predicate: (m: ConsoleMessage) => m.text().startsWith(OFFER),
    timeout: 60_000,
  });
  await page.goto(demo.launchUrl);
  const offer = (await offered).text();
  expect(offer, 'no tone before the offer: the browser blocked them').toBe(`${OFFER}0`);

  // The nurse's click on the offer lets the audio start: the cue sounds and the offer goes.
  const cue = page.getByTestId('audible-cue');
  await cue.getByRole('button', { name: /blocks the sound: click to allow it/ }).click();
  await expect.poll(tones, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect(cue.getByRole('button', { name: /click to allow it/ })).toBeHidden();
  await expect(cue).toContainText(/not yet opened/);
});
