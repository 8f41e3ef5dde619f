// Escalation when nobody answers at all (docs/alerting.md, "Escalation to people"), in Chromium on the
// local demo's own host: the deployment's policy asks the ward's nurses after a minute, then reaches the
// fail-safe contact list a minute later, by its timer alone. Nobody clicks anything in the chain: the
// screen shows the ward's nurses asked with no answer, then the fail-safe step and its contact list, and
// the critical stays open (reaching the fail-safe acknowledges nothing). The policy's steps are the
// shortest it allows (1 minute); the waits are for what the screen shows, with deadlines well beyond.
import { expect, test } from '@playwright/test';
import type { AlertSummary } from '../src-main/shared/api.ts';
import { alertsWhere, isOpenCritical, listAlerts, signIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';
import { chain, configFile, openAlert, step } from './support/escalation.ts';

const escalation = {
  policy: {
    steps: [
      { role: 'nurse', afterMinutes: 1 },
      { role: 'fail-safe', afterMinutes: 1 },
    ],
    failSafeContacts: [{ name: 'Rapid response team', phone: 'ext. 2222' }],
  },
};

let demo: DemoProcess | null = null;
test.beforeEach(async () => {
  const file = configFile('ward-nurse', { localDemo: { enabled: true, simulationRate: 0 }, escalation });
  demo = await startDemo({ extraArgs: ['--config', file] });
});
test.afterEach(async () => {
  await demo?.stop();
  demo = null;
});

const isTheK68 = (a: AlertSummary): boolean => isOpenCritical(a) && /Potassium 6\.8/.test(a.headline);

test('nobody answers: the ward’s nurses are asked, then the fail-safe contact list shows by the timer alone, and the critical stays open', async ({
  page,
}) => {
  test.setTimeout(360_000);
  if (!demo) throw new Error('the demo did not start');
  await page.setViewportSize({ width: 1400, height: 900 });
  await signIn(page, demo.launchUrl, 'Riley Chen');
  const alerts = await alertsWhere(page, (list) => list.some(isTheK68), 'the K 6.8 critical');
  const critical = alerts.find(isTheK68) as AlertSummary;
  await openAlert(page, critical);

  // Step 1 after the policy's minute, with nobody's answer.
  await expect(step(page, 1)).toContainText(/Asked Ward A nurses \(the ward’s nurses\)/, {
    timeout: 150_000,
  });
  await expect(step(page, 1)).toContainText('no answer yet · next step at');
  await expect(chain(page).getByText(/Nobody has taken it/)).toHaveCount(0);

  // A minute later, still nobody: the fail-safe step, by its timer, with the deployment's contact list.
  await expect(step(page, 2)).toContainText(/Fail-safe reached at /, { timeout: 150_000 });
  await expect(chain(page).getByRole('alert')).toContainText(
    'Nobody has taken it: call Rapid response team (ext. 2222).',
  );
  await expect(step(page, 1)).not.toContainText(/declined|accepted/);
  // Step 1's "next step at" is history now: it says the next step was asked.
  await expect(step(page, 1)).toContainText('no answer · the next step was asked');
  const still = (await listAlerts(page)).find((a) => a.id === critical.id);
  expect(still && isOpenCritical(still)).toBe(true);
});
