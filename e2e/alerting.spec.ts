// The closed loop end to end in the browser host: a critical arrives -> in-page notification -> acknowledged by
// the signed-in user with a read-back note -> audit row with user and time -> written back to the
// embedded server as a Communication (read back through the host with the user's own token).
import { expect, test } from '@playwright/test';
import type { AlertingStatus, AlertSummary, AuditExport, ResourceView } from '../src-main/shared/api.ts';
import { callApi, listAlerts, signIn } from './support/app.ts';
import { startDemo, type DemoProcess } from './support/demo-process.ts';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => {
  await demo?.stop();
});

test('critical -> notification -> acknowledge -> audit with user and time -> Communication on the server', async ({
  page,
}) => {
  await signIn(page, demo.launchUrl, 'charge nurse, Ward A');
  let critical: AlertSummary | undefined;
  await expect
    .poll(
      async () => {
        critical = (await listAlerts(page)).find((a) => a.tier === 'critical' && a.state !== 'resolved');
        return critical?.lifecycle?.notifyState;
      },
      { timeout: 30_000 },
    )
    .toMatch(/notified|summarised/);
  if (!critical) throw new Error('no critical alert');
  expect(critical.summary).toMatch(/^K \d+(\.\d+)? mmol\/L [<>] /);
  await expect(
    page
      .getByRole('alert')
      .filter({ hasText: /CRITICAL/ })
      .first(),
  ).toBeVisible();

  const status = await callApi<AlertingStatus>(page, 'getAlertingStatus', {});
  expect(status.unacknowledgedCritical).toBeGreaterThanOrEqual(1);
  expect(status.rules.notice).toMatch(/NOT clinical advice/);

  // An acknowledgment follows a look at the result: the page records the opening first.
  await callApi(page, 'markSeen', { alertId: critical.id });
  const acked = await callApi<AlertSummary>(page, 'acknowledge', {
    alertId: critical.id,
    note: 'K read back',
  });
  expect(acked.lifecycle).toMatchObject({ acknowledgedBy: 'Practitioner/nurse-a', ackNote: 'K read back' });

  let reference = '';
  await expect
    .poll(async () => {
      const alert = (await listAlerts(page)).find((a) => a.id === critical?.id);
      reference = alert?.lifecycle?.writeback.reference ?? '';
      return alert?.lifecycle?.writeback.state;
    })
    .toBe('done');
  const written = await callApi<ResourceView>(page, 'getResource', { reference });
  expect(written.status).toBe('ok');
  expect(written.resource).toMatchObject({
    resourceType: 'Communication',
    about: [{ reference: critical.focus }],
    sender: { reference: 'Practitioner/nurse-a' },
  });

  const exported = await callApi<AuditExport>(page, 'exportAudit', {});
  const ackRow = exported.csv
    .split('\r\n')
    .find((l) => l.includes(critical?.id ?? '?') && l.includes('state:acknowledged'));
  expect(ackRow).toMatch(/^\d+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,/);
  expect(ackRow).toContain('Practitioner/nurse-a');
  expect(exported.path).toMatch(/audit-.*\.csv$/);
});
