// Escalation to people, not screens (docs/alerting.md, "Escalation to people"), in Chromium on two
// workstations of one embedded server: a ward nurse's (Riley Chen, the local demo's own host) and the
// charge nurse's (Alex Rivera, a second browser host signed in to the same server). The policy comes from
// the deployment file, with the shortest steps it allows (1 minute each). Nobody acknowledges the K 6.8:
// a minute later the ward's nurses are asked on Riley's screen; she declines, which asks the charge
// nurse at once; Alex accepts (which acknowledges) on her screen; Riley's screen learns both from the
// server. The waits are
// for the mechanism (the Task on screen), with deadlines well beyond the policy's minute.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { AlertSummary } from '../src-main/shared/api.ts';
import { alertsWhere, isOpenCritical, listAlerts, screenshot, signIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';

const escalation = {
  policy: {
    steps: [
      { role: 'nurse', afterMinutes: 1 },
      { role: 'charge-nurse', afterMinutes: 1 },
      { role: 'fail-safe', afterMinutes: 1 },
    ],
    failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
  },
};

let demo: DemoProcess;
let charge: DemoProcess;

function configFile(name: string, content: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'escalation-e2e-')), `${name}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

test.beforeAll(async () => {
  demo = await startDemo({
    extraArgs: [
      '--config',
      configFile('ward-nurse', { localDemo: { enabled: true, simulationRate: 0 }, escalation }),
    ],
  });
  charge = await startDemo({
    extraArgs: [
      '--config',
      configFile('charge-nurse', {
        servers: [{ name: 'Demo server', fhirBase: demo.fhirBase, clientId: 'alert-monitor-desktop' }],
        escalation,
      }),
    ],
    embeddedServer: false,
  });
});
test.afterAll(async () => {
  await charge?.stop();
  await demo?.stop();
});

const chain = (page: Page) => page.getByRole('region', { name: 'Escalation' });
const step = (page: Page, n: number) => chain(page).locator(`li[data-step="${n}"]`);

async function openAlert(page: Page, alert: AlertSummary): Promise<void> {
  await page.locator(`.feed-row[data-alert-id="${alert.id}"]`).click();
  await expect(page.locator('.detail').getByRole('heading', { level: 2 })).toBeVisible();
}

test('an unacknowledged critical asks the ward’s nurses, a decline asks the charge nurse at once, her acceptance shows on both screens', async ({
  page,
  browser,
}) => {
  test.setTimeout(300_000);
  // The charge nurse first, so her monitor is subscribed when the demo's K 6.8 is written.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const chargePage = await context.newPage();
  await signIn(chargePage, charge.launchUrl, 'charge nurse, Ward A', { server: 'Demo server' });
  await page.setViewportSize({ width: 1400, height: 900 });
  await signIn(page, demo.launchUrl, 'Riley Chen');

  const alerts = await alertsWhere(
    page,
    (list) => list.some((a) => isOpenCritical(a) && /Potassium 6\.8/.test(a.headline)),
    'the K 6.8 critical',
  );
  const critical = alerts.find((a) => isOpenCritical(a) && /Potassium 6\.8/.test(a.headline)) as AlertSummary;
  await openAlert(page, critical);

  // Step 1 (after the policy's minute): the ward's nurses, Riley among them, with accept and decline.
  await expect(step(page, 1)).toContainText(/Asked Ward A nurses \(the ward’s nurses\)/, {
    timeout: 150_000,
  });
  await expect(step(page, 1)).toContainText('no answer yet · next step at');
  await screenshot(page, 'escalation-asked');
  await step(page, 1).getByRole('button', { name: 'Decline (ask the next)' }).click();
  await expect(step(page, 1)).toContainText('declined by Riley Chen');
  // Declined: the charge nurse is asked at once, not a minute later.
  await expect(step(page, 2)).toContainText(/Asked Alex Rivera, RN \(charge nurse, Ward A\) at /, {
    timeout: 30_000,
  });
  await expect(step(page, 2).getByRole('button', { name: /Accept/ })).toHaveCount(0);

  // Her workstation has the same result's alert, with the step addressed to her.
  let hers: AlertSummary | undefined;
  await expect
    .poll(
      async () => {
        hers = (await listAlerts(chargePage)).find((a) => a.focus === critical.focus);
        return hers?.escalation?.find((s) => s.step === 2)?.addressedToYou === true;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  await openAlert(chargePage, hers as AlertSummary);
  await step(chargePage, 2).getByRole('button', { name: 'Accept (I take it)' }).click();
  await expect(step(chargePage, 2)).toContainText('accepted by Alex Rivera');
  await screenshot(chargePage, 'escalation-accepted');

  // Accepting is acknowledging (the chain ends). Riley's screen learns both from the server: the whole
  // chain, who was asked and who answered, and who acknowledged where.
  await expect(step(page, 2)).toContainText('accepted by Alex Rivera', { timeout: 30_000 });
  await expect(step(page, 1)).toContainText('declined by Riley Chen');
  await expect(page.locator('.detail')).toContainText(/Acknowledged by Alex Rivera.* on another workstation/);
  await expect(chain(page).getByText(/Nobody answered/)).toHaveCount(0);
  await screenshot(page, 'escalation-answered-elsewhere');
  await context.close();
});
