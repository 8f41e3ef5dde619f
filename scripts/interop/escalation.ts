// The escalation chain against Medplum (docs/alerting.md, "Escalation to people"): a workstation with a
// fast policy (the charge nurse after 3 s, then the fail-safe contact list) and the nurse holding the
// charge-nurse role in Medplum's directory. A critical nobody acknowledges becomes one step Task on
// Medplum, addressed to her PractitionerRole and told on her screen; her decline is written back on
// that Task's version and the fail-safe step follows at once, one Task each. A second critical she
// accepts: the step Task says so and she has acknowledged it, with one acknowledgment record.
import type { RunningApp } from '../../src-main/app/compose.ts';
import { FAIL_SAFE_ROLE, type EscalationPolicy } from '../../src-main/core/alerting/escalation-policy.ts';
import {
  ACKNOWLEDGMENT_IDENTIFIER,
  CARE_ROLE_SYSTEM,
  stepIdentifier,
} from '../../src-main/core/alerting/loop-resources.ts';
import type { AlertNotification } from '../../src-main/core/ports.ts';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { expectThat, type Report, until, untilAsync } from './checks.ts';
import { alertOn, everyTopicUp } from './app-waits.ts';
import type { Lab } from './lab.ts';

/** Her role in the directory, and the policy that asks it first. */
const ROLE = 'charge-nurse';
export const FAST_ESCALATION: EscalationPolicy = {
  steps: [
    { role: ROLE, afterMinutes: 0.05 },
    { role: FAIL_SAFE_ROLE, afterMinutes: 5 },
  ],
  failSafeContacts: [{ name: 'House supervisor (interop)', phone: 'ext. 4400' }],
};

/** FAST_ESCALATION's steps an hour apart: within a check, only another workstation asks anything. */
export const SLOW_ESCALATION: EscalationPolicy = {
  ...FAST_ESCALATION,
  steps: FAST_ESCALATION.steps.map((step) => ({ ...step, afterMinutes: 60 })),
};

/** The alerting clock ticks every 15 s: a step due after 3 s is written within about 20 s. */
const STEP_WAIT_MS = 60_000;

export interface EscalationRun {
  report: Report;
  lab: Lab;
  patient: string;
  /** Start the app with FAST_ESCALATION on its own data directory, the nurse signed in. */
  launch(): Promise<RunningApp>;
  notified: readonly AlertNotification[];
}

export const stepTasks = (lab: Lab, focus: string, step: number) => {
  const { system, value } = stepIdentifier(focus, step);
  return lab.byIdentifier('Task', system, value);
};

/** The critical's step `step` as her screen shows it, once it is addressed to her. */
export async function askedOfHer(app: RunningApp, focus: string, step: number) {
  let asked: NonNullable<AlertSummary['escalation']>[number] | undefined;
  await untilAsync(
    `step ${step} addressed to her`,
    async () => {
      const alert = await alertOn(app, focus);
      asked = alert.escalation?.find((s) => s.step === step && s.addressedToYou === true);
      return asked !== undefined;
    },
    STEP_WAIT_MS,
  );
  return asked;
}

const toldOfStep = (run: EscalationRun, alertId: string, step: number) =>
  run.notified.filter((n) => n.alertId === alertId && n.kind === 'escalation' && n.step === step);

/** One run of the workstation: launched, its topics up, `checks`, then closed whatever happened. */
async function onWorkstation(run: EscalationRun, checks: (app: RunningApp) => Promise<void>) {
  const app = await run.launch();
  try {
    await everyTopicUp(app, 'nurse');
    await checks(app);
  } finally {
    await app.close();
  }
}

/**
 * She declines step 1 of the critical on `focus`; once the fail-safe step is on Medplum and told on her
 * screen, the alert and both steps' Tasks.
 */
async function declineToFailSafe(run: EscalationRun, app: RunningApp, focus: string) {
  const alert = await alertOn(app, focus);
  await app.service.handlers.answerEscalation({ alertId: alert.id, step: 1, answer: 'decline' });
  await untilAsync(
    'the fail-safe step on Medplum',
    async () => (await stepTasks(run.lab, focus, 2)).length > 0,
    STEP_WAIT_MS,
  );
  await until('the fail-safe notification', () => toldOfStep(run, alert.id, 2).length > 0, 15_000);
  return { alert, first: await stepTasks(run.lab, focus, 1), failSafe: await stepTasks(run.lab, focus, 2) };
}

export function checkEscalation(run: EscalationRun, roleRef: string): Promise<void> {
  return onWorkstation(run, async (app) => {
    let declined = '';
    await run.report.check(
      'an unacknowledged critical → one step Task on Medplum for the charge nurse’s PractitionerRole, told on her screen once',
      async () => {
        const { reference } = await run.lab.potassium(run.patient, 6.6);
        declined = reference;
        const alert = await alertOn(app, reference);
        const asked = await askedOfHer(app, reference, 1);
        await until('her escalation notification', () => toldOfStep(run, alert.id, 1).length > 0, 15_000);
        const tasks = await stepTasks(run.lab, reference, 1);
        expectThat(tasks.length === 1, `${tasks.length} step-1 Tasks`);
        const task = tasks[0] ?? {};
        expectThat(task['status'] === 'requested', `the Task is ${String(task['status'])}`);
        const owner = (task['owner'] as { reference?: string } | undefined)?.reference;
        expectThat(owner === roleRef, `the Task is owned by ${owner ?? 'nobody'}, not ${roleRef}`);
        expectThat(toldOfStep(run, alert.id, 1).length === 1, 'told more than once');
        return `${asked?.taskRef ?? '?'} → ${owner ?? ''}`;
      },
    );
    await run.report.check(
      'her decline is written on that Task’s version; the fail-safe step follows at once, one Task each',
      async () => {
        expectThat(declined !== '', 'no step to decline (the previous check failed)');
        const {
          failSafe,
          first: [first],
        } = await declineToFailSafe(run, app, declined);
        expectThat(first?.['status'] === 'rejected', `step 1 is ${String(first?.['status'])}`);
        const version = (first?.['meta'] as { versionId?: string } | undefined)?.versionId;
        expectThat(failSafe.length === 1, `${failSafe.length} fail-safe Tasks`);
        const open = (await alertOn(app, declined)).state;
        expectThat(open !== 'acknowledged' && open !== 'resolved', `the critical is ${open} after a decline`);
        return `step 1 rejected (version ${version ?? '?'}); Task/${String(failSafe[0]?.['id'])} fail-safe`;
      },
    );
    await run.report.check(
      'she accepts a second critical’s step → the Task accepted, the critical acknowledged by her, one record',
      async () => {
        const { reference } = await run.lab.potassium(run.patient, 2.4);
        const alert = await alertOn(app, reference);
        await askedOfHer(app, reference, 1);
        // Accepting is acknowledging: only after she opened the result.
        await app.service.handlers.markSeen({ alertId: alert.id });
        await app.service.handlers.answerEscalation({ alertId: alert.id, step: 1, answer: 'accept' });
        const session = await app.service.handlers.getSession({});
        await untilAsync(
          'the acknowledgment on Medplum',
          async () =>
            (await run.lab.byIdentifier('Communication', ACKNOWLEDGMENT_IDENTIFIER, reference)).length > 0,
          30_000,
        );
        const [task] = await stepTasks(run.lab, reference, 1);
        expectThat(task?.['status'] === 'accepted', `the Task is ${String(task?.['status'])}`);
        const acks = await run.lab.byIdentifier('Communication', ACKNOWLEDGMENT_IDENTIFIER, reference);
        expectThat(acks.length === 1, `${acks.length} acknowledgment records`);
        const mine = await alertOn(app, reference);
        expectThat(mine.state === 'acknowledged', `the critical is ${mine.state}`);
        expectThat(
          mine.lifecycle?.acknowledgedBy === session.user?.fhirUser,
          `acknowledged by ${mine.lifecycle?.acknowledgedBy ?? 'nobody'}`,
        );
        expectThat(
          (await stepTasks(run.lab, reference, 2)).length === 0,
          'the chain went on after she took it',
        );
        return `Task/${String(task?.['id'])} accepted; Communication/${String(acks[0]?.['id'])}`;
      },
    );
  });
}

/**
 * The workstation restarts (an update, a crash recovered by its supervisor) while a step is open: the
 * restarted monitor, its session resumed, still shows the step as hers, her decline is written on the
 * one step Task on Medplum, and exactly one fail-safe step follows. (A monitor killed mid-step is
 * tested against the embedded server: test/main/core/alerting/escalation-crash.test.ts.)
 */
export async function checkRestartMidEscalation(run: EscalationRun): Promise<void> {
  let focus = '';
  await onWorkstation(run, async (before) => {
    await run.report.check(
      'a step is open on the workstation when it restarts (an update; a crash its supervisor recovers)',
      async () => {
        focus = (await run.lab.potassium(run.patient, 6.9)).reference;
        const alert = await alertOn(before, focus);
        await askedOfHer(before, focus, 1);
        await until('her escalation notification', () => toldOfStep(run, alert.id, 1).length > 0, 15_000);
        return `${focus}: step 1 asked before the restart`;
      },
    );
  });
  if (!focus) return;
  await onWorkstation(run, async (after) => {
    await run.report.check(
      'after the restart the step is still hers: her decline is written on its one Task, one fail-safe step follows, step 1 not told again',
      async () => {
        // Still hers after the restart, from the store: the step is not issued a second time.
        await askedOfHer(after, focus, 1);
        const { alert, first, failSafe } = await declineToFailSafe(run, after, focus);
        expectThat(first.length === 1, `${first.length} step-1 Tasks`);
        expectThat(first[0]?.['status'] === 'rejected', `step 1 is ${String(first[0]?.['status'])}`);
        expectThat(failSafe.length === 1, `${failSafe.length} fail-safe Tasks`);
        const told = toldOfStep(run, alert.id, 1).length;
        expectThat(told === 1, `step 1 told ${told} times across the restart`);
        return `Task/${String(first[0]?.['id'])} rejected after the restart; Task/${String(failSafe[0]?.['id'])} fail-safe`;
      },
    );
  });
}

/** Her PractitionerRole for the policy's first step (found or created in Medplum's directory). */
export const holdRole = (lab: Lab, practitioner: string): Promise<string> =>
  lab.careRole(practitioner, CARE_ROLE_SYSTEM, ROLE);
