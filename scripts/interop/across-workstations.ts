// The closed loop across two workstations on Medplum (docs/alerting.md, "Across workstations"): the
// nurse's and her colleague's, each its own data directory, both with the fast escalation policy. A
// critical nobody acknowledges is one step Task on Medplum whichever monitor wrote it, and both show
// that Task; both nurses acknowledge at the same moment, and then the nurse on two screens of her own:
// Medplum holds one acknowledgment record each time, and both screens show its person, moment and
// read-back (the loser's own acknowledgment gives way). Last, an acknowledgment another system recorded
// with its sender by reference only: both screens apply it, and the audit export names that person
// from Medplum's Practitioner, read with the exporting nurse's token.
import type { RunningApp } from '../../src-main/app/compose.ts';
import { ACKNOWLEDGMENT_IDENTIFIER } from '../../src-main/core/alerting/loop-resources.ts';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { expectThat, type Report, untilAsync } from './checks.ts';
import { alertOn, everyTopicUp } from './app-waits.ts';
import { askedOfHer, stepTasks } from './escalation.ts';
import type { AlertNotification } from '../../src-main/core/ports.ts';
import type { Lab } from './lab.ts';

export interface TwoWorkstationsRun {
  report: Report;
  lab: Lab;
  patient: string;
  /** Start a workstation on data directory `name` with the fast policy, `user` (default the nurse) signed in. */
  launch(name: string, user?: { email: string; password: string }): Promise<RunningApp>;
  /** A workstation new to the nurse that reads back the 12 hours before her sign-in (policy: an hour). */
  launchReadingBack(name: string): Promise<RunningApp>;
  notified: readonly AlertNotification[];
  colleague: { email: string; password: string };
}

const acknowledgments = (lab: Lab, focus: string) =>
  lab.byIdentifier('Communication', ACKNOWLEDGMENT_IDENTIFIER, focus);

export async function checkTwoWorkstations(run: TwoWorkstationsRun): Promise<void> {
  // One after the other: both sign in through the one registered loopback port.
  const one = await run.launch('workstation-1');
  const two = await run.launch('workstation-2', run.colleague).catch(async (error: unknown) => {
    await one.close();
    throw error;
  });
  try {
    await Promise.all([everyTopicUp(one, 'nurse'), everyTopicUp(two, 'nurse')]);
    let focus = '';
    await run.report.check(
      'two workstations, one critical nobody acknowledges → one step Task on Medplum, shown on both',
      async () => {
        focus = (await run.lab.potassium(run.patient, 6.7)).reference;
        // Asked of the nurse (her PractitionerRole); her colleague's screen shows the same step.
        const first = await askedOfHer(one, focus, 1);
        let second: NonNullable<AlertSummary['escalation']>[number] | undefined;
        await untilAsync('the step on the colleague’s screen', async () => {
          second = (await alertOn(two, focus)).escalation?.find((s) => s.step === 1 && s.taskRef !== null);
          return second !== undefined;
        });
        const tasks = await stepTasks(run.lab, focus, 1);
        expectThat(tasks.length === 1, `${tasks.length} step-1 Tasks`);
        const task = `Task/${String(tasks[0]?.['id'])}`;
        expectThat(
          first?.taskRef === task && second?.taskRef === task,
          `the screens show ${first?.taskRef ?? '?'} and ${second?.taskRef ?? '?'}, Medplum ${task}`,
        );
        return `${task} on both`;
      },
    );
    await run.report.check(
      'a first sign-in on a new workstation while that step is open: the step read back from Medplum, told to her once',
      async () => {
        expectThat(focus !== '', 'no critical (the previous check failed)');
        const fresh = await run.launchReadingBack('workstation-new');
        try {
          const asked = await askedOfHer(fresh, focus, 1);
          const alert = await alertOn(fresh, focus);
          const told = () =>
            run.notified.filter((n) => n.alertId === alert.id && n.kind === 'escalation' && n.step === 1);
          await untilAsync('her notification of the step', async () => told().length > 0, 15_000);
          const tasks = await stepTasks(run.lab, focus, 1);
          const task = `Task/${String(tasks[0]?.['id'])}`;
          expectThat(tasks.length === 1, `${tasks.length} step-1 Tasks`);
          expectThat(
            asked?.taskRef === task,
            `the new screen shows ${asked?.taskRef ?? '?'}, Medplum ${task}`,
          );
          expectThat(told().length === 1, `told ${told().length} times`);
          return `${task} (${asked?.status ?? '?'}) read back and told once`;
        } finally {
          await fresh.close();
        }
      },
    );
    await run.report.check(
      'both nurses acknowledge it at the same moment → one acknowledgment on Medplum, both screens show its person, moment and read-back',
      async () => {
        expectThat(focus !== '', 'no critical (the previous check failed)');
        return acknowledgeAtOnce(run.lab, [one, two], focus);
      },
    );
    await run.report.check(
      'the same nurse acknowledges a critical on two screens at once → one record; the screen that lost shows its moment and read-back',
      async () => {
        const three = await run.launch('workstation-3');
        try {
          await everyTopicUp(three, 'nurse');
          const critical = (await run.lab.potassium(run.patient, 6.9)).reference;
          return await acknowledgeAtOnce(run.lab, [one, three], critical);
        } finally {
          await three.close();
        }
      },
    );
    await run.report.check(
      'an acknowledgment another system recorded by reference only → both screens apply it; the audit export names that person from Medplum',
      async () => {
        const critical = (await run.lab.potassium(run.patient, 6.6)).reference;
        await Promise.all([alertOn(one, critical), alertOn(two, critical)]);
        // A float nurse neither screen has met: no sign-in here, no record of hers carried her name.
        const float = await run.lab.practitioner('WardB');
        const record = await run.lab.acknowledgmentByReference(critical, run.patient, float);
        let shown: AlertSummary[] = [];
        await untilAsync('both screens showing her acknowledgment', async () => {
          shown = await Promise.all([alertOn(one, critical), alertOn(two, critical)]);
          return shown.every((a) => a.state === 'acknowledged' && a.lifecycle?.acknowledgedBy === float);
        });
        const names = shown.map((a) => a.lifecycle?.acknowledgedByName ?? null);
        expectThat(
          names.every((n) => n === null),
          `a screen knew her name already (${names.join(', ')}): the export would not need Medplum`,
        );
        const audit = await one.service.handlers.exportAudit({});
        const alertId = shown[0]?.id ?? '';
        const line =
          audit.csv.split('\r\n').find((l) => l.includes(alertId) && l.includes('state:acknowledged')) ?? '';
        expectThat(
          new RegExp(`,${float},"?Interop WardB"?,`).test(line),
          `the export's line: ${line || 'none'}`,
        );
        return `${record} by ${float}: exported as "Interop WardB"`;
      },
    );
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
}

/**
 * The two screens' users acknowledge `focus` at the same moment, each with her own read-back: Medplum
 * holds one record, and both screens show its person, moment and read-back (the loser's gives way).
 */
async function acknowledgeAtOnce(
  lab: Lab,
  screens: [RunningApp, RunningApp],
  focus: string,
): Promise<string> {
  const alerts = await Promise.all(screens.map((app) => alertOn(app, focus)));
  await Promise.all(screens.map((app, i) => app.service.handlers.markSeen({ alertId: alerts[i]?.id ?? '' })));
  await Promise.all(
    screens.map((app, i) =>
      app.service.handlers.acknowledge({
        alertId: alerts[i]?.id ?? '',
        note: `K read back by ${i === 0 ? 'Dr Lee' : 'Dr Ray'}`,
      }),
    ),
  );
  let shown: AlertSummary[] = [];
  await untilAsync(
    'both acknowledgments written back',
    async () => {
      shown = await Promise.all(screens.map((app) => alertOn(app, focus)));
      return shown.every((a) => a.lifecycle?.writeback.state === 'done');
    },
    30_000,
  );
  const records = await acknowledgments(lab, focus);
  expectThat(records.length === 1, `${records.length} acknowledgment records`);
  const sent = String(records[0]?.['sent']);
  const sender = (records[0]?.['sender'] as { reference?: string } | undefined)?.reference ?? '';
  const payload = JSON.stringify(records[0]?.['payload'] ?? []);
  const asRecorded = (a: AlertSummary) =>
    a.state === 'acknowledged' &&
    a.lifecycle?.acknowledgedBy === sender &&
    Date.parse(a.lifecycle.acknowledgedAt ?? '') === Date.parse(sent) &&
    a.lifecycle.ackNote !== null &&
    payload.includes(`read-back: ${a.lifecycle.ackNote}`);
  await untilAsync(
    'both screens showing the record Medplum holds',
    async () => {
      shown = await Promise.all(screens.map((app) => alertOn(app, focus)));
      return shown.every(asRecorded);
    },
    30_000,
  ).catch((error: unknown) => {
    const seen = shown.map(
      (a) =>
        `${a.state} by ${a.lifecycle?.acknowledgedBy ?? '?'} at ${a.lifecycle?.acknowledgedAt ?? '?'} (${a.lifecycle?.ackNote ?? 'no note'})`,
    );
    throw new Error(
      `${String(error)}; Medplum's record: ${sender} at ${sent}; the screens: ${seen.join(', ')}`,
    );
  });
  const at = shown.map((a) => a.lifecycle?.acknowledgedAt ?? '?');
  const elsewhere = shown.filter((a) => a.lifecycle?.acknowledgedElsewhere === true).length;
  return `Communication/${String(records[0]?.['id'])} by ${sender}; both screens: at ${at[0] ?? '?'} with its read-back, ${elsewhere} of them "on another workstation"`;
}
