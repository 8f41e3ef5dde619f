// Reading the screen at 1024×700 and at a distance, hearing a critical, and seeing a later normal result.
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import type { AlertSummary } from '../src-main/shared/api.ts';
import { readableUnits } from '../src-main/shared/fhir-json.ts';
import {
  alertsWhere,
  isOpenCritical,
  listAlerts,
  shownInFull,
  signIn,
  windowOverflow,
} from './support/app.ts';
import { startDemo } from './support/demo-process.ts';
import { recordAudioOpens, recordTones } from './support/page-probes.ts';

/** Nothing cut off: the element's content fits its box (with a pixel for rounding). */
async function notClipped(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (el) => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1,
  );
}

function overlaps(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

async function fontSize(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
}

test('observation 8: at 1024×700 nothing is clipped or covered, text is readable, large type, a sound, one time format, readable units, a trend with axes', async ({
  page,
}) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1024, height: 700 });
  const tones = await recordTones(page);
  const audioOpens = await recordAudioOpens(page);
  const demo = await startDemo({ extraArgs: ['--sim-rate', '600', '--sim-start', '04:30'] });
  try {
    await signIn(page, demo.launchUrl);
    // Who is signed in at a shared workstation: her name whole in the header, whatever else is cut.
    const signedInAs = page.getByRole('status').filter({ hasText: 'Signed in as' });
    expect(await shownInFull(signedInAs, 'Alex Rivera, RN'), await signedInAs.innerText()).toBe(true);
    const alerts = await alertsWhere(
      page,
      (l) => l.some((a) => isOpenCritical(a) && /10\*3\/uL/.test(a.headline)),
      'a critical blood count (a UCUM unit with a power of ten)',
    );
    // A critical sounds (Web Audio), and the page says why and until when.
    await expect.poll(tones, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect(page.getByTestId('audible-cue')).toContainText(/not yet opened/);
    // The audio device is opened once, never in the task that shows the critical: before the notice
    // (when the page was idle) or after a frame with it has been painted.
    const opens = await audioOpens();
    expect(opens, JSON.stringify(opens)).toHaveLength(1);
    expect(opens.filter((o) => o.noticeShown && o.framesPaintedSinceNotice === 0)).toEqual([]);

    // Units as people read them, one time format, secondary text at 15 px or more.
    const cbc = alerts.find((a) => isOpenCritical(a) && /10\*3\/uL/.test(a.headline)) as AlertSummary;
    await expect(page.locator(`.feed-row[data-alert-id="${cbc.id}"]`)).toContainText('×10³/µL');
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/\{INR\}|10\*\d|\buL\b|\bAM\b|\bPM\b/);
    for (const time of await page.locator('.feed-row time').allInnerTexts())
      expect(time).toMatch(/^\d\d:\d\d$/);
    for (const selector of ['.feed-meta', '.feed-who', '.unread', '.shortcut-hint'])
      expect(await fontSize(page, selector), selector).toBeGreaterThanOrEqual(15);

    // On this short window one toast shows and the rest are counted: every toast in the page is one on
    // screen, so "and N more" counts exactly the ones not shown (two in the page with one hidden by
    // the stylesheet counted none).
    await expect(page.locator('.toast-list')).toContainText(/and \d+ more/, { timeout: 30_000 });
    await expect(page.locator('.toast')).toHaveCount(1);
    await expect(page.locator('.toast')).toBeVisible();

    // Toasts sit in the page's flow: they never cover the lists.
    const main = await page.locator('main').boundingBox();
    for (const toast of await page.locator('.toast').all()) {
      const box = await toast.boundingBox();
      if (box && main) expect(overlaps(box, main)).toBe(false);
    }

    // The detail's acknowledge button, whole; the trend with axes and values.
    const potassium = alerts.find(
      (a) => isOpenCritical(a) && /Potassium 6\.8/.test(a.headline),
    ) as AlertSummary;
    await page.locator(`.feed-row[data-alert-id="${potassium.id}"]`).click();
    const acknowledge = page.locator('.detail').getByRole('button', { name: /^Acknowledge/ });
    await expect(acknowledge).toBeVisible();
    expect(await notClipped(acknowledge)).toBe(true);
    const detailBox = await page.locator('.detail').boundingBox();
    const buttonBox = await acknowledge.boundingBox();
    expect((buttonBox?.x ?? 0) + (buttonBox?.width ?? 0)).toBeLessThanOrEqual(
      (detailBox?.x ?? 0) + (detailBox?.width ?? 0),
    );
    const chart = page.locator('.detail svg.trend-chart');
    await expect(chart).toBeVisible({ timeout: 15_000 });
    expect(await chart.locator('.axis text').count()).toBeGreaterThanOrEqual(5);
    await expect(chart.locator('.trend-current-point text')).toHaveText('6.8');
    // The window itself never scrolls (each column scrolls within it), so nothing scrolls the header,
    // the counts and Sign out off the screen: not even what is visually hidden deep in the detail.
    expect(await windowOverflow(page)).toBeLessThanOrEqual(0);

    // Compact rows beside the ward board keep their time and their bed line.
    await page.getByRole('button', { name: 'Ward board' }).click();
    const compact = page.locator('.feed.compact .feed-row').first();
    await expect(compact.locator('time')).toBeVisible();
    for (const meta of await page.locator('.feed.compact .feed-row .feed-meta').all())
      expect(await notClipped(meta)).toBe(true);

    // The health table scrolls sideways from the keyboard (axe: scrollable-region-focusable).
    await page.getByRole('button', { name: 'Health' }).click();
    await expect(page.getByRole('region', { name: 'Subscription health table' })).toBeVisible();
    const focusable = await new AxeBuilder({ page }).withRules(['scrollable-region-focusable']).analyze();
    expect(focusable.violations.map((v) => v.id)).toEqual([]);

    // Large type for a ward display.
    await page.getByRole('button', { name: 'Alerts', exact: true }).click();
    await page.getByRole('button', { name: 'Large type' }).click();
    expect(await page.locator('html').evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBe(24);
    // The sounding notice's symbol starts its sentence, not a line of its own above it.
    const cue = page.getByTestId('audible-cue');
    const lines = await cue.evaluate((el) => {
      const symbol = el.querySelector('[aria-hidden="true"]')?.getBoundingClientRect();
      const words = document.createRange();
      words.selectNodeContents(el);
      const first = [...words.getClientRects()].find((r) => r.width > 0 && r.left > (symbol?.right ?? 0));
      return { symbol: symbol?.top ?? -1, sentence: first?.top ?? -1, height: symbol?.height ?? 0 };
    });
    expect(Math.abs(lines.symbol - lines.sentence), JSON.stringify(lines)).toBeLessThan(lines.height / 2);
    // Large type narrows every window: who is signed in still reads in full, on a wide one too.
    expect(await shownInFull(signedInAs, 'Alex Rivera, RN'), await signedInAs.innerText()).toBe(true);
    await page.setViewportSize({ width: 1400, height: 900 });
    expect(await shownInFull(signedInAs, 'Alex Rivera, RN'), await signedInAs.innerText()).toBe(true);
    await page.setViewportSize({ width: 1024, height: 700 });
    // Rows grow with the type: their three lines still fit.
    const row = page.locator('.feed-row').first();
    expect(await row.evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
    // A narrow row cuts the test's name, never the result's value and unit ("Glucose 5…" hid 523),
    // and the patient's name, never the MRN ("MRN PT-0…" could be either of ten patients).
    const results = (await listAlerts(page)).filter(
      (a) => a.focus.startsWith('Observation/') && a.fetch === 'ok' && /\d/.test(a.headline),
    );
    let checked = 0;
    for (const result of results.slice(0, 6)) {
      const shown = page.locator(`.feed-row[data-alert-id="${result.id}"]`);
      if ((await shown.count()) === 0) continue; // scrolled out of the windowed list
      const value = /\S+ \S+$/.exec(readableUnits(result.headline))?.[0] ?? '?';
      expect(await shownInFull(shown.locator('.feed-headline'), value), `${value} in its row`).toBe(true);
      const mrn = `MRN ${result.patient?.mrn ?? '?'}`;
      expect(await shownInFull(shown.locator('.feed-who'), mrn), `${mrn} in its row`).toBe(true);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Large type' }).click();
  } finally {
    await demo.stop();
  }
});

test('observation 9: a later normal result of the same test is shown on the alert and its line, and acknowledges nothing', async ({
  page,
}) => {
  test.setTimeout(120_000);
  // At 300× the demo's repeat draw (an hour of simulated time after its K 6.8) comes 12 s later; at
  // night the ward draws little else.
  const demo = await startDemo({ extraArgs: ['--sim-rate', '300', '--sim-start', '01:00'] });
  try {
    await signIn(page, demo.launchUrl);
    const [potassium] = (
      await alertsWhere(page, (l) => l.some((a) => /Potassium 6\.8/.test(a.headline)), 'the demo critical')
    ).filter((a) => /Potassium 6\.8/.test(a.headline));
    const line = page.locator(`.pinned-line[data-alert-id="${potassium?.id}"]`);
    await expect(line.locator('.later-chip')).toContainText(/later normal 4\.4 mmol\/L \d\d:\d\d/, {
      timeout: 60_000,
    });
    // The chip beside it never cuts the critical value or its unit off the line ("Potassium 6.8 …").
    for (const size of [
      { width: 1024, height: 700 },
      { width: 1280, height: 800 },
    ]) {
      await page.setViewportSize(size);
      const headline = line.locator('.pinned-headline');
      await expect(headline).toHaveText('Potassium 6.8 mmol/L');
      expect(await notClipped(headline), `the critical line at ${size.width}×${size.height}`).toBe(true);
    }
    await line.locator('.pinned-open').click();
    await expect(page.locator('.detail .later-normal')).toContainText(
      /Later normal result: 4\.4 mmol\/L at \d\d:\d\d.*does not acknowledge this alert/,
    );
    const still = (await listAlerts(page)).find((a) => a.id === potassium?.id);
    expect(still?.state).not.toBe('acknowledged');
    await expect(line).toBeVisible();
  } finally {
    await demo.stop();
  }
});
