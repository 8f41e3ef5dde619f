// The nurse's own workstation against Medplum, one check after another on one running app: sign-in,
// the subscription, a critical notified exactly once, a later normal result told by its final report, a
// dropped socket, a restart, an acknowledgment and a resolution written back once, an updated and a
// deleted result, and no subscription left behind when the app closes.
import type { RunningApp } from '../../src-main/app/compose.ts';
import type { MemorySecretStore } from '../../src-main/core/auth/index.ts';
import { CRITICAL_LAB_TOPIC } from '../../src-main/core/monitor/topics.ts';
import { everyTopicUp } from './app-waits.ts';
import { expectThat, type Report, until, untilAsync } from './checks.ts';
import type { Lab } from './lab.ts';
import {
  alertsFor,
  criticalHealth,
  launch,
  notificationsFor,
  type Recorded,
  signedIn,
  withdrawals,
} from './launch.ts';
import type { Provisioned } from './medplum-admin.ts';
import { dropConnections } from './network.ts';
import { fhirBase } from './target.ts';

export interface Run {
  report: Report;
  lab: Lab;
  who: Provisioned;
  patients: [string, string, string, string];
  dataDir: string;
  notified: Recorded[];
  secrets: MemorySecretStore;
  app: RunningApp;
  /** The result the update and delete checks work on. */
  first: string;
  during: string[];
}

/** The app's own record of its critical-lab subscription for the signed-in user. */
async function criticalSubscription(app: RunningApp) {
  const session = await app.service.handlers.getSession({});
  return app.service.store.findSubscription(fhirBase, CRITICAL_LAB_TOPIC, session.user?.fhirUser ?? null);
}

/** Wait until Medplum no longer has the subscription (it deletes one whose socket closed); its last answer. */
async function subscriptionGone(run: Run, remoteId: string | undefined, what: string): Promise<number> {
  let status = 0;
  await untilAsync(
    what,
    async () => {
      status = await run.lab.status(`Subscription/${remoteId ?? ''}`);
      return status === 404 || status === 410;
    },
    15_000,
  );
  return status;
}

export async function checkSignIn(run: Run): Promise<void> {
  await run.report.check(
    'sign-in through the loopback listener (ES256 ID token, exact redirect URI)',
    async () => {
      const started = Date.now();
      const info = await run.app.service.handlers.signIn({ role: 'nurse' });
      expectThat(info.reason === null, `sign-in refused: ${info.reason ?? ''}`);
      await untilAsync('the session', () => signedIn(run.app), 60_000);
      run.report.latency('sign-in: authorization URL → signed in', Date.now() - started);
      const session = await run.app.service.handlers.getSession({});
      return `signed in as ${session.user?.fhirUser ?? '?'}`;
    },
  );
}

export async function checkSubscription(run: Run): Promise<void> {
  await run.report.check(
    'critical-lab subscription: search criteria, websocket, live after the handshake',
    async () => {
      await untilAsync(
        'the live subscription',
        async () => (await criticalHealth(run.app))?.connection === 'live',
      );
      const health = await criticalHealth(run.app);
      expectThat(health?.channel === 'websocket', `channel is ${health?.channel ?? 'none'}`);
      expectThat(health?.lastHeartbeatAt !== null, 'live without any frame from the server');
      const record = await criticalSubscription(run.app);
      expectThat(record !== null, 'no local subscription record');
      expectThat(
        (await run.lab.status(`Subscription/${record?.remoteId ?? ''}`)) === 200,
        'Medplum does not have it',
      );
      // The SSE attempt Medplum stored without an endpoint must have been deleted, not left behind.
      const leftovers = (await run.lab.search('Subscription?_count=100')).filter(
        (s) =>
          s['reason'] === 'Alert monitor workstation' &&
          (s['channel'] as { type?: string }).type === 'rest-hook',
      );
      expectThat(
        leftovers.length === 0,
        `${leftovers.length} abandoned rest-hook subscription(s) left on the server`,
      );
      // The other topics of the nurse's role: live too, or reported with the reason they cannot be.
      await everyTopicUp(run.app, 'nurse');
      const snapshot = await run.app.service.handlers.getHealth({});
      // A topic Medplum cannot offer (a transfer is no search) is shown in health, not as "Alerts stopped".
      expectThat(snapshot.degraded === null, `the banner says: ${snapshot.degraded ?? ''}`);
      const all = snapshot.subscriptions;
      return `Subscription/${record?.remoteId ?? ''}; ${all.map((s) => `${s.topic.split('/').pop() ?? ''}: ${s.connection}`).join(', ')}`;
    },
  );
}

export async function checkCritical(run: Run): Promise<void> {
  await run.report.check('a critical result → alert → notification, exactly once', async () => {
    const { reference, sentAt } = await run.lab.potassium(run.patients[0], 6.8);
    run.first = reference;
    await until('the alert', () => alertsFor(run.app, reference).length > 0);
    // The app's own commit time (the alert row's receivedAt), not when this script noticed it.
    const committed = Date.parse(alertsFor(run.app, reference)[0]?.receivedAt ?? '');
    run.report.latency('critical written → alert committed', committed - sentAt);
    await until('the notification', () => notificationsFor(run.app, run.notified, reference).length > 0);
    const note = notificationsFor(run.app, run.notified, reference)[0];
    run.report.latency('critical written → notification', (note?.at ?? 0) - sentAt);
    // Heartbeats and a reconciliation later, still one alert and one notification.
    const health = await criticalHealth(run.app);
    const heartbeat = health?.lastHeartbeatAt ?? '';
    await untilAsync(
      'a later heartbeat',
      async () => ((await criticalHealth(run.app))?.lastHeartbeatAt ?? '') > heartbeat,
      30_000,
    );
    expectThat(alertsFor(run.app, reference).length === 1, `${alertsFor(run.app, reference).length} alerts`);
    expectThat(notificationsFor(run.app, run.notified, reference).length === 1, 'notified more than once');
    expectThat(note?.kind === 'alert' && note.tier === 'critical', 'not notified as a live critical');
    return `${reference}: "${note?.title ?? ''}"`;
  });
}

export async function checkLaterResult(run: Run): Promise<void> {
  await run.report.check(
    'a later normal result, released in a final report → the screen is told (no polling), no alert for the report',
    async () => {
      const health = await run.app.service.handlers.getHealth({});
      expectThat(health.resultsPushed === true, 'health says final reports are not pushed');
      let told = 0;
      const stop = run.app.service.onEvent((event) => {
        if (event.type === 'results') told += 1;
      });
      try {
        const { reference } = await run.lab.potassium(run.patients[0], 4.4);
        const report = await run.lab.finalReport(run.patients[0], [reference]);
        await until('a results push', () => told > 0, 30_000);
        expectThat(alertsFor(run.app, report).length === 0, 'the final report became an alert');
        const trend = await run.app.service.handlers.getObservationTrend({ reference: run.first, count: 20 });
        expectThat(
          trend.points.some((p) => p.reference === reference && p.value === 4.4),
          'the later result is not in the critical result’s trend',
        );
        return `${report} told ${told} time(s); ${reference} in the trend of ${run.first}`;
      } finally {
        stop();
      }
    },
  );
}

export async function checkDroppedSocket(run: Run): Promise<void> {
  await run.report.check(
    'socket dropped → the subscription Medplum deleted is re-created, everything written meanwhile recovered once',
    async () => {
      const before = await criticalHealth(run.app);
      const dropped = dropConnections();
      const started = Date.now();
      const a = await run.lab.potassium(run.patients[1], 7.1);
      const b = await run.lab.potassium(run.patients[2], 2.5);
      run.during = [a.reference, b.reference];
      await until(
        'both results recovered',
        () => run.during.every((r) => alertsFor(run.app, r).length === 1),
        60_000,
      );
      const last = Math.max(...run.during.map((r) => Date.parse(alertsFor(run.app, r)[0]?.receivedAt ?? '')));
      run.report.latency('socket dropped → results written meanwhile committed', last - started);
      await until(
        'their notifications',
        () => run.during.every((r) => notificationsFor(run.app, run.notified, r).length === 1),
        30_000,
      );
      await untilAsync('the new subscription live', async () => {
        const now = await criticalHealth(run.app);
        return now?.connection === 'live' && now.subscriptionKey !== before?.subscriptionKey;
      });
      expectThat(
        notificationsFor(run.app, run.notified, run.first).length === 1,
        'the first critical was notified again',
      );
      return `${dropped} connection(s) cut; ${run.during.length} results recovered`;
    },
  );
}

export async function checkRestart(run: Run): Promise<void> {
  await run.report.check(
    'monitor restarted → nothing lost, nothing re-notified, the result written while down recovered',
    async () => {
      const old = await criticalSubscription(run.app);
      const count = run.notified.length;
      await run.app.close();
      // Medplum deletes a websocket subscription when its socket closes.
      const gone = await subscriptionGone(run, old?.remoteId, 'Medplum to drop the closed subscription');
      const whileDown = await run.lab.potassium(run.patients[3], 6.9);
      const started = Date.now();
      run.app = await launch(run.dataDir, run.notified, run.secrets, run.who);
      await untilAsync('the resumed session', () => signedIn(run.app), 60_000);
      await until(
        'the result written while down',
        () => alertsFor(run.app, whileDown.reference).length === 1,
        60_000,
      );
      const recovered = Date.parse(alertsFor(run.app, whileDown.reference)[0]?.receivedAt ?? '');
      run.report.latency('restart → result written while down committed', recovered - started);
      await until(
        'its notification',
        () => notificationsFor(run.app, run.notified, whileDown.reference).length === 1,
      );
      for (const focus of [run.first, ...run.during]) {
        expectThat(
          alertsFor(run.app, focus).length === 1,
          `the alert for ${focus} is gone after the restart`,
        );
        expectThat(
          notificationsFor(run.app, run.notified, focus).length === 1,
          `${focus} was notified again`,
        );
      }
      expectThat(
        run.notified.length === count + 1,
        `${run.notified.length - count} notifications after the restart`,
      );
      return `old subscription read after close: HTTP ${gone}; session resumed silently`;
    },
  );
}

/** The records Medplum holds for a result under one of the closed loop's identifiers. */
const recordsFor = (run: Run, system: string, focus: string) =>
  run.lab.byIdentifier('Communication', system, focus);

export async function checkAcknowledgment(run: Run): Promise<void> {
  await run.report.check(
    'acknowledge, then resolve → one Communication each on Medplum (conditional create), by the nurse',
    async () => {
      const focus = run.during[0] ?? '';
      const alert = alertsFor(run.app, focus)[0];
      expectThat(alert !== undefined, `no alert for ${focus}`);
      const alertId = alert?.id ?? '';
      const handlers = run.app.service.handlers;
      await handlers.markSeen({ alertId });
      const patient = alert?.patient?.reference;
      await handlers.acknowledge({ alertId, note: 'K 7.1 read back', ...(patient ? { patient } : {}) });
      const written = () => run.app.service.store.alerts.get(alertId)?.lifecycle?.writeback;
      await until('the acknowledgment written back', () => written()?.state === 'done', 30_000);
      await handlers.resolveAlert({ alertId, note: 'repeat sample ordered' });
      // The resolution leaves the alert's write-back state as the acknowledgment set it: wait for the
      // record on the server instead.
      await untilAsync(
        'the resolution on Medplum',
        async () => (await recordsFor(run, 'urn:alert-monitor:resolution', focus)).length > 0,
        30_000,
      );
      const acks = await recordsFor(run, 'urn:alert-monitor:acknowledgment', focus);
      const resolutions = await recordsFor(run, 'urn:alert-monitor:resolution', focus);
      expectThat(acks.length === 1, `${acks.length} acknowledgment records`);
      expectThat(resolutions.length === 1, `${resolutions.length} resolution records`);
      const session = await handlers.getSession({});
      const sender = (acks[0]?.['sender'] as { reference?: string } | undefined)?.reference;
      expectThat(sender === session.user?.fhirUser, `acknowledged by ${sender ?? 'nobody'}`);
      const answers = JSON.stringify(resolutions[0]?.['inResponseTo'] ?? null);
      expectThat(answers.includes('urn:alert-monitor:acknowledgment'), `inResponseTo is ${answers}`);
      return `Communication/${String(acks[0]?.['id'])} and Communication/${String(resolutions[0]?.['id'])}`;
    },
  );
}

export async function checkUpdateAndDelete(run: Run): Promise<void> {
  await run.report.check('an updated result is the same alert with the new value', async () => {
    const count = run.notified.length;
    await run.lab.correct(run.first, run.patients[0], 7.4);
    await until('the new value', () => alertsFor(run.app, run.first)[0]?.headline.includes('7.4') === true);
    expectThat(alertsFor(run.app, run.first).length === 1, 'the update made another alert');
    expectThat(run.notified.length === count, 'the update was announced as a new critical');
    return alertsFor(run.app, run.first)[0]?.headline ?? '';
  });
  await run.report.check(
    'a deleted result is marked withdrawn by the lab, not "No longer available", and its notification taken back',
    async () => {
      await run.lab.remove(run.first);
      await until(
        'the withdrawal',
        () => alertsFor(run.app, run.first)[0]?.headline.startsWith('Withdrawn') === true,
      );
      const alert = alertsFor(run.app, run.first)[0];
      expectThat(alertsFor(run.app, run.first).length === 1, 'the delete made another alert');
      expectThat(alert?.state === 'resolved' && alert.lifecycle?.pinned === false, 'still pinned as open');
      // The lock screen no longer asks about it.
      await until('its notification withdrawn', () => withdrawals.includes(alert?.id ?? ''), 10_000);
      return `${alert?.headline ?? ''} (${alert?.reason ?? ''})`;
    },
  );
}

export async function checkCleanUp(run: Run): Promise<void> {
  await run.report.check('closing the app leaves no subscription behind on Medplum', async () => {
    const record = await criticalSubscription(run.app);
    await run.app.close();
    const status = await subscriptionGone(run, record?.remoteId, 'the subscription to be gone');
    return `Subscription/${record?.remoteId ?? ''}: HTTP ${status}`;
  });
}
