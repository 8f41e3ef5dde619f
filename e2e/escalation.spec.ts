// Escalation to people, not screens (docs/alerting.md, "Escalation to people"), in Chromium on two
// workstations of one embedded server: a ward nurse's (Riley Chen, the local demo's own host) and the
// charge nurse's (Alex Rivera, a second browser host signed in to the same server). The policy comes from
// the deployment file, with the shortest steps it allows (1 minute each). Nobody acknowledges the K 6.8:
// a minute later the ward's nurses are asked on Riley's screen; she declines, which asks the charge
// nurse at once; Alex accepts (which acknowledges) on her screen, or declines too, which reaches the
// fail-safe contact list on both screens at once. Riley's screen learns every answer from the server.
// Each test has its own pair of workstations (the demo writes one K 6.8 per run). The waits are for the
// mechanism (the Task on screen), with deadlines well beyond the policy's minute.
import { expect, test, type Browser, type Page } from '@playwright/test';
import type { AlertSummary } from '../src-main/shared/api.ts';
import { alertsWhere, isOpenCritical, listAlerts, screenshot, signIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';
import { chain, configFile, openAlert, step } from './support/escalation.ts';

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

/** The ward nurse's workstation (with the embedded server) and the charge nurse's, on that server. */
async function startWorkstations(): Promise<{ demo: DemoProcess; charge: DemoProcess }> {
  const demo = await startDemo({
    extraArgs: [
      '--config',
      configFile('ward-nurse', { localDemo: { enabled: true, simulationRate: 0 }, escalation }),
    ],
  });
  const charge = await startDemo({
    extraArgs: [
      '--config',
      configFile('charge-nurse', {
        servers: [{ name: 'Demo server', fhirBase: demo.fhirBase, clientId: 'alert-monitor-desktop' }],
        escalation,
      }),
    ],
    embeddedServer: false,
  }).catch(async (error: unknown) => {
    await demo.stop();
    throw error;
  });
  return { demo, charge };
}

type Workstations = Awaited<ReturnType<typeof startWorkstations>>;
let pair: Workstations | null = null;
test.beforeEach(async () => {
  pair = await startWorkstations();
});
test.afterEach(async () => {
  await pair?.charge.stop();
  await pair?.demo.stop();
  pair = null;
});
function workstations(): Workstations {
  if (!pair) throw new Error('the workstations did not start');
  return pair;
}

/**
 * Both signed in, nobody acknowledges the K 6.8: step 1 asks the ward's nurses on Riley's screen, she
 * declines, step 2 asks the charge nurse at once; her screen has the alert with that step addressed to
 * her, open. Returns her page and the critical as Riley's screen holds it. `shoot`: save the screenshot
 * of the asked step (one test does, for the README).
 */
async function walkToChargeNurse(
  page: Page,
  browser: Browser,
  shoot: boolean,
): Promise<{ chargePage: Page; critical: AlertSummary }> {
  const { demo, charge } = workstations();
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
  if (shoot) await screenshot(page, 'escalation-asked');
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
  return { chargePage, critical };
}

test('an unacknowledged critical asks the ward’s nurses, a decline asks the charge nurse at once, her acceptance shows on both screens', async ({
  page,
  browser,
}) => {
  test.setTimeout(300_000);
  const { chargePage } = await walkToChargeNurse(page, browser, true);
  // Accepting is acknowledging: the read-back note she typed for this result goes with it.
  await chargePage.locator('.detail').getByLabel('Read-back note (optional)').fill('Read back to Dr Shah');
  await step(chargePage, 2).getByRole('button', { name: 'Accept (I take it)' }).click();
  await expect(step(chargePage, 2)).toContainText('accepted by Alex Rivera');
  await expect(chargePage.locator('.detail')).toContainText('read-back: “Read back to Dr Shah”');
  await screenshot(chargePage, 'escalation-accepted');

  // Accepting is acknowledging (the chain ends). Riley's screen learns both from the server: the whole
  // chain, who was asked and who answered, and who acknowledged where.
  await expect(step(page, 2)).toContainText('accepted by Alex Rivera', { timeout: 30_000 });
  await expect(step(page, 1)).toContainText('declined by Riley Chen');
  await expect(page.locator('.detail')).toContainText(/Acknowledged by Alex Rivera.* on another workstation/);
  await expect(chain(page).getByText(/Nobody has taken it/)).toHaveCount(0);
  await screenshot(page, 'escalation-answered-elsewhere');
  await chargePage.context().close();
});

test('the charge nurse declines too: the fail-safe contact list shows on both screens at once, and the critical stays open', async ({
  page,
  browser,
}) => {
  test.setTimeout(300_000);
  const { chargePage, critical } = await walkToChargeNurse(page, browser, false);
  await step(chargePage, 2).getByRole('button', { name: 'Decline (ask the next)' }).click();
  await expect(step(chargePage, 2)).toContainText('declined by Alex Rivera');
  // Nobody left to ask: the fail-safe step at once, with the deployment's contact list, on both screens.
  for (const screen of [chargePage, page]) {
    await expect(step(screen, 3)).toContainText(/Fail-safe reached at /, { timeout: 30_000 });
    await expect(chain(screen).getByRole('alert')).toContainText(
      'Nobody has taken it: call House supervisor (ext. 4400).',
    );
  }
  await expect(step(page, 2)).toContainText('declined by Alex Rivera');
  await screenshot(page, 'escalation-fail-safe');
  // Reaching the fail-safe acknowledges nothing: the critical is still open on Riley's screen.
  const still = (await listAlerts(page)).find((a) => a.id === critical.id);
  expect(still && isOpenCritical(still)).toBe(true);
  await chargePage.context().close();
});
