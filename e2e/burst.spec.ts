// A burst in Chromium: hundreds of a ward's critical results at once (as when an analyser's held
// results are released) reach the page as `feed-changed` pushes that carry nothing
// (docs/architecture.md, "Pushes to the page"); the page reads its feed again and a screen reader hears
// the burst's criticals in one sentence (src-renderer/api/burst-announcer.ts), the criticals pushed one
// by one gathered into another (src-renderer/feed/announcement-window.ts), each critical counted once.
// The server runs in this process so the test can release the burst when it chooses; the browser host
// signs in to it as to a hospital's (--config with its FHIR base, no embedded server).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { HealthSnapshot } from '../src-main/shared/api.ts';
import { startServer, type RunningServer } from '../src-main/server/server.ts';
import { callApi, listAlerts, signIn, watchHostEvents } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';
import { recordTones } from './support/page-probes.ts';

let server: RunningServer;
let host: DemoProcess;

test.beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'burst-e2e-'));
  server = await startServer({ port: 0, dbPath: join(dir, 'server.sqlite'), simulate: { autoStart: false } });
  const config = join(dir, 'workstation.json');
  writeFileSync(
    config,
    JSON.stringify({
      servers: [{ name: 'Hospital server', fhirBase: server.fhirBase, clientId: 'alert-monitor-desktop' }],
    }),
  );
  host = await startDemo({ extraArgs: ['--config', config], embeddedServer: false });
});
test.afterAll(async () => {
  await host?.stop();
  await server?.close();
});

/** Everything the page's live region says, in order (it holds one sentence at a time). */
async function recordAnnouncements(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const spoken: string[] = [];
    (window as unknown as { __spoken: string[] }).__spoken = spoken;
    const observe = (region: Element) =>
      new MutationObserver(() => {
        const text = region.textContent?.trim() ?? '';
        if (text) spoken.push(text);
      }).observe(region, { childList: true, characterData: true, subtree: true });
    new MutationObserver((_, finder) => {
      const region = document.querySelector('[data-testid="announcer"]');
      if (!region) return;
      finder.disconnect();
      observe(region);
    }).observe(document, { childList: true, subtree: true });
  });
  return () => page.evaluate(() => (window as unknown as { __spoken?: string[] }).__spoken ?? []);
}

/** How many criticals a sentence speaks of: one, or the count a burst sentence starts with. */
function criticalsSpoken(sentence: string): number {
  if (sentence.startsWith('New critical result: ')) return 1;
  const burst = /^(\d+) new critical results arrived together\. Newest: /.exec(sentence);
  return burst ? Number(burst[1]) : 0;
}

test('a burst of criticals is pushed as feed-changed and spoken in a few sentences, each critical once', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const pushed = await watchHostEvents(page);
  const spoken = await recordAnnouncements(page);
  const tones = await recordTones(page);
  await signIn(page, host.launchUrl, 'charge nurse, Ward A', {
    server: 'Hospital server',
    beforeSignIn: pushed.waitOpen,
  });
  // Every subscription live, so the burst is delivered on the streams rather than found afterwards.
  await expect
    .poll(async () => {
      const health = await callApi<HealthSnapshot>(page, 'getHealth');
      return health.subscriptions.length > 0 && health.subscriptions.every((s) => s.connection === 'live');
    })
    .toBe(true);
  await expect(page.locator('.feed-head')).toBeVisible();
  expect(await listAlerts(page)).toEqual([]);

  // 600 critical potassiums for Ward A written at once, as when an analyser's held results are released:
  // more than the host pushes one by one, so they reach the page as bursts.
  for (let i = 0; i < 600; i++) server.simulator?.emitCriticalPotassium('ward-a');

  // All 600 stored and read (none waits for its focus), and as many criticals spoken as the feed holds
  // new ones: never one twice, none left out.
  await expect
    .poll(
      async () => {
        const alerts = await listAlerts(page);
        const criticals = alerts.filter((a) => a.tier === 'critical' && a.state === 'new');
        const said = (await spoken()).reduce((sum, sentence) => sum + criticalsSpoken(sentence), 0);
        return alerts.length === 600 && criticals.length === 600 && said === 600;
      },
      { timeout: 120_000, message: 'all 600 criticals read and each spoken once' },
    )
    .toBe(true);

  const events = await pushed.events();
  // The mechanism: the burst reached the page as feed-changed pushes, not one push per result.
  expect(events.filter((e) => e.type === 'feed-changed').length).toBeGreaterThan(0);
  expect(events.filter((e) => e.type === 'alert').length).toBeLessThan(600);
  // Notified in a few notifications, not 600: more live criticals than a nurse can read in one batch
  // are one that counts them (src-main/core/monitor/notify-once.ts).
  const notified = events.flatMap((e) => (e.type === 'notify' ? [e] : []));
  expect(notified.length).toBeLessThan(20);
  expect(notified.some((n) => /^\d+ critical results arrived together$/.test(n.title))).toBe(true);
  // Spoken in a few sentences, not one per critical (the host pushes up to 200 of a batch one by one,
  // and the page gathers those: src-renderer/feed/announcement-window.ts); at least one counts a burst
  // and names the newest critical's patient by MRN.
  const sentences = await spoken();
  expect(sentences.length).toBeLessThan(20);
  expect(
    sentences.some((s) => /^\d+ new critical results arrived together\. Newest: .+ · MRN /.test(s)),
  ).toBe(true);
  // The audible cue sounds, once per arrival it hears and not once per critical (two tones a cue).
  expect(await tones()).toBeGreaterThan(0);
  expect(await tones()).toBeLessThan(40);
  test.info().annotations.push({ type: 'sentences spoken', description: String(sentences.length) });
});
