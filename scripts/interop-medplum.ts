// `npm run interop:medplum`: the project's real composition (src-main/app/compose.ts `startApp`, servers
// mode, as both hosts start it) against a running Medplum, end to end. Not part of `npm test`: Medplum
// needs PostgreSQL, Redis and minutes of set-up (docs/interop.md says how, and what to expect).
//
//   MEDPLUM_BASE_URL        default http://127.0.0.1:8103 (the server, not its FHIR base)
//   MEDPLUM_ADMIN_EMAIL     default admin@example.com (Medplum's documented default administrator)
//   MEDPLUM_ADMIN_PASSWORD  default medplum_admin
//   INTEROP_REDIRECT_PORT   default 47113 (the loopback port registered as the client's redirect URI)
//   LOG_LEVEL               the app's log level (default error; warn shows each recovery step)
//
// It registers what it needs through Medplum's API (scripts/interop/medplum-admin.ts), signs the nurse
// in through the app's loopback listener with the user's step done headlessly, then checks: the
// subscription, a critical → alert → notification exactly once, a later normal result told by its
// final report, a dropped socket, a restart, an
// acknowledgment and a resolution written back once, a pharmacist's decisions (through the decision
// outbox and sender with the lab user's token), an updated and a deleted result; then, on workstations with a fast escalation policy, the
// escalation chain and two workstations sharing one critical; then the pharmacist's own workstation
// and a shared ward workstation (scripts/interop/). It prints `N passed, N failed` and the latencies; exit 1 on a failure,
// 2 when no Medplum answers. The recording notifier is the test double for the OS notification daemon.
import dc from 'node:diagnostics_channel';
import { mkdtempSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startApp, type RunningApp } from '../src-main/app/compose.ts';
import { MemorySecretStore } from '../src-main/core/auth/index.ts';
import type { EscalationPolicy } from '../src-main/core/alerting/escalation-policy.ts';
import { createLogger } from '../src-main/core/log.ts';
import { CRITICAL_LAB_TOPIC } from '../src-main/core/monitor/topics.ts';
import type { DecisionRecord } from '../src-main/core/pharmacy/decisions.ts';
import { createDecisionSender } from '../src-main/core/pharmacy/sender.ts';
import type { AlertNotification } from '../src-main/core/ports.ts';
import { CLIENT_MIGRATIONS } from '../src-main/core/store/schema.ts';
import { createVerificationStore } from '../src-main/core/store/verification-store.ts';
import { migrate, openDatabase } from '../src-main/lib/sqlite.ts';
import type { AlertSummary, SubscriptionHealth } from '../src-main/shared/api.ts';
import { completeMedplumLogin } from '../test/support/medplum-login.ts';
import { expectThat, Report, until, untilAsync } from './interop/checks.ts';
import { checkTwoWorkstations } from './interop/across-workstations.ts';
import { everyTopicUp } from './interop/app-waits.ts';
import {
  checkEscalation,
  checkRestartMidEscalation,
  FAST_ESCALATION,
  holdRole,
} from './interop/escalation.ts';
import { checkPharmacist, pharmacistRole } from './interop/pharmacist.ts';
import { checkWardWorkstation, serveWardKey, WARD, type WardKeyServer } from './interop/ward.ts';
import { signInLab, type Lab } from './interop/lab.ts';
import { PROJECT_NAME, provision, type Provisioned } from './interop/medplum-admin.ts';

const origin = (process.env['MEDPLUM_BASE_URL'] ?? 'http://127.0.0.1:8103').replace(/\/+$/, '');
const fhirBase = `${origin}/fhir/R4`;
const redirectPort = Number(process.env['INTEROP_REDIRECT_PORT'] ?? '47113');
const redirectUri = `http://127.0.0.1:${redirectPort}/callback`;
const root = resolve(import.meta.dirname, '..');

/** Every TCP socket this process opens, so the network can be "dropped" under the app. */
const sockets = new Set<Socket>();
dc.subscribe('net.client.socket', (message) => {
  const socket = (message as { socket?: Socket }).socket;
  if (socket) {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }
});

/** Cut every open connection to Medplum from this process (the app's websocket among them). */
function dropConnections(): number {
  const port = Number(new URL(origin).port || 80);
  let dropped = 0;
  for (const socket of sockets) {
    if (socket.remotePort === port && !socket.destroyed) {
      socket.destroy();
      dropped += 1;
    }
  }
  return dropped;
}

interface Recorded extends AlertNotification {
  at: number;
}

/** Every alert whose notifications an app of this run took back (the notification daemon's side). */
const withdrawals: string[] = [];

async function reachable(): Promise<string | null> {
  try {
    const res = await fetch(`${origin}/healthcheck`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return `${origin}/healthcheck answered ${res.status}`;
    const body = (await res.json()) as { ok?: boolean; version?: string };
    return body.ok ? null : `${origin}/healthcheck says the server is not ok`;
  } catch (error) {
    return `nothing answers at ${origin} (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** How a workstation differs from the nurse's own: its escalation policy, who signs in, a ward identity. */
interface LaunchOptions {
  policy?: EscalationPolicy | null;
  /** Who completes a sign-in, asked at each one (a ward screen is signed in to by several people). */
  user?: () => Provisioned['nurse'];
  /** A ward workstation: its backend client and private key file. */
  ward?: { clientId: string; keyFile: string };
}

/** The app as a host starts it, in servers mode, with a recording notifier and a durable secret store. */
function launch(
  dataDir: string,
  notified: Recorded[],
  secrets: MemorySecretStore,
  who: Provisioned,
  options: LaunchOptions = {},
) {
  const user = options.user ?? (() => who.nurse);
  return startApp(
    {
      dataDir,
      host: { kind: 'browser', version: 'interop', osNotifications: true },
      // LOG_LEVEL=warn shows the app's own account of each recovery step (ids and counts only).
      logger: createLogger('interop-app', process.env['LOG_LEVEL'] ?? 'error'),
      rulesPath: join(root, 'resources/rules/critical-values.json'),
      createNotifier: () => ({
        notify: async (n) => void notified.push({ ...n, at: Date.now() }),
        withdraw: async (alertId) => void withdrawals.push(alertId),
      }),
      // Stands in for Electron's safeStorage: the restart resumes the session as the desktop app does.
      secretStore: secrets,
      openAuthorizationUrl: async (url) => {
        await completeMedplumLogin(url, user());
      },
    },
    {
      kind: 'servers',
      servers: [{ fhirBase, name: 'Medplum (interop)', clientId: who.clientId, redirectPort }],
      escalation: { policy: options.policy ?? null },
      ...(options.ward
        ? {
            workstation: {
              kind: 'ward' as const,
              identity: { clientId: options.ward.clientId, ward: WARD, privateKeyFile: options.ward.keyFile },
            },
          }
        : {}),
    },
  );
}

const alertsFor = (app: RunningApp, focus: string): AlertSummary[] =>
  app.service.store.alerts.list(1000).filter((a) => a.focus === focus);

async function criticalHealth(app: RunningApp): Promise<SubscriptionHealth | undefined> {
  const health = await app.service.handlers.getHealth({});
  return health.subscriptions.find((s) => s.topic === CRITICAL_LAB_TOPIC);
}

function notificationsFor(app: RunningApp, notified: Recorded[], focus: string): Recorded[] {
  return notified.filter(
    (n) => n.alertId !== null && app.service.store.alerts.get(n.alertId)?.focus === focus,
  );
}

async function signedIn(app: RunningApp): Promise<boolean> {
  return (await app.service.handlers.getSession({})).state === 'signed-in';
}

interface Run {
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

async function checkSignIn(run: Run): Promise<void> {
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

async function checkSubscription(run: Run): Promise<void> {
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
      const session = await run.app.service.handlers.getSession({});
      const record = run.app.service.store.findSubscription(
        fhirBase,
        CRITICAL_LAB_TOPIC,
        session.user?.fhirUser ?? null,
      );
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

async function checkCritical(run: Run): Promise<void> {
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

async function checkLaterResult(run: Run): Promise<void> {
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

async function checkDroppedSocket(run: Run): Promise<void> {
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

async function checkRestart(run: Run): Promise<void> {
  await run.report.check(
    'monitor restarted → nothing lost, nothing re-notified, the result written while down recovered',
    async () => {
      const session = await run.app.service.handlers.getSession({});
      const old = run.app.service.store.findSubscription(
        fhirBase,
        CRITICAL_LAB_TOPIC,
        session.user?.fhirUser ?? null,
      );
      const count = run.notified.length;
      await run.app.close();
      // Medplum deletes a websocket subscription when its socket closes.
      let gone = 0;
      await untilAsync(
        'Medplum to drop the closed subscription',
        async () => {
          gone = await run.lab.status(`Subscription/${old?.remoteId ?? ''}`);
          return gone === 404 || gone === 410;
        },
        15_000,
      );
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

async function checkAcknowledgment(run: Run): Promise<void> {
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

/** One decision through the decision outbox and its sender, as the pharmacist's workstation sends it. */
async function sendDecision(run: Run, record: DecisionRecord): Promise<string | null> {
  const db = openDatabase(join(run.dataDir, `decisions-${record.decision}.sqlite`));
  migrate(db, 'client', CLIENT_MIGRATIONS);
  const decisions = createVerificationStore(db);
  decisions.record({
    fhirBase,
    actor: 'interop-lab',
    orderRef: record.order,
    decision: record.decision,
    payload: JSON.stringify(record),
    at: Date.now(),
  });
  const sender = createDecisionSender({
    decisions,
    accessFor: () => ({
      fhirBase,
      accessToken: async () => run.lab.token,
      onUnauthorized: async () => false,
    }),
    logger: createLogger('interop-decisions', 'error'),
    onChange: () => undefined,
  });
  await sender.pump();
  sender.stop();
  const row = decisions.latest(fhirBase, record.order);
  db.close();
  return row?.state === 'done' ? null : (row?.lastError ?? `left ${row?.state ?? 'unrecorded'}`);
}

async function checkDecisions(run: Run): Promise<void> {
  await run.report.check(
    "a pharmacist's clarification, then verification → records by identifier (conditional update), the Task replaced",
    async () => {
      const order = await run.lab.order(run.patients[0]);
      const base: DecisionRecord = {
        order,
        patient: run.patients[0],
        prescriber: null,
        pharmacist: 'Practitioner/interop-lab',
        at: new Date().toISOString(),
        decision: 'clarify',
        reason: 'Dose for INR 3.4?',
        medication: 'warfarin sodium 5 MG Oral Tablet',
        flags: [
          {
            id: `warfarin-nsaid:${order}`,
            kind: 'interaction',
            severity: 'high',
            text: 'Interaction: bleeding risk',
            detail: 'With: ibuprofen',
            source: 'interop',
            implicated: [],
            override: null,
          },
        ],
      };
      const asked = await sendDecision(run, base);
      expectThat(asked === null, `clarification not written: ${asked ?? ''}`);
      const verified = await sendDecision(run, {
        ...base,
        decision: 'verify',
        reason: null,
        flags: base.flags.map((f) => ({ ...f, override: 'INR monitored daily' })),
      });
      expectThat(verified === null, `verification not written: ${verified ?? ''}`);
      const tasks = await run.lab.byIdentifier('Task', 'urn:alert-monitor:order-verification', order);
      const issues = await run.lab.byIdentifier(
        'DetectedIssue',
        'urn:alert-monitor:order-check',
        `${order}|warfarin-nsaid:${order}`,
      );
      const asks = await run.lab.byIdentifier(
        'Communication',
        'urn:alert-monitor:order-clarification',
        order,
      );
      expectThat(tasks.length === 1, `${tasks.length} verification Tasks`);
      expectThat(tasks[0]?.['status'] === 'completed', `the Task is ${String(tasks[0]?.['status'])}`);
      expectThat(issues.length === 1, `${issues.length} DetectedIssues`);
      expectThat(asks.length === 1, `${asks.length} clarification Communications`);
      return `Task/${String(tasks[0]?.['id'])} completed; DetectedIssue/${String(issues[0]?.['id'])}`;
    },
  );
}

async function checkUpdateAndDelete(run: Run): Promise<void> {
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

async function checkCleanUp(run: Run): Promise<void> {
  await run.report.check('closing the app leaves no subscription behind on Medplum', async () => {
    const session = await run.app.service.handlers.getSession({});
    const record = run.app.service.store.findSubscription(
      fhirBase,
      CRITICAL_LAB_TOPIC,
      session.user?.fhirUser ?? null,
    );
    await run.app.close();
    let status = 0;
    await untilAsync(
      'the subscription to be gone',
      async () => {
        status = await run.lab.status(`Subscription/${record?.remoteId ?? ''}`);
        return status === 404 || status === 410;
      },
      15_000,
    );
    return `Subscription/${record?.remoteId ?? ''}: HTTP ${status}`;
  });
}

/**
 * The escalation chain on a workstation with a fast policy (scripts/interop/escalation.ts), then two
 * such workstations sharing one critical (scripts/interop/across-workstations.ts).
 */
async function escalationChecks(run: Run, nurse: string | null): Promise<void> {
  if (!nurse) {
    await run.report.check('the escalation chain', () => Promise.reject(new Error('no nurse signed in')));
    return;
  }
  const roleRef = await holdRole(run.lab, nurse);
  // One secret store per workstation, kept across its restarts as Electron's safeStorage keeps it: a
  // restarted workstation resumes its session.
  const secrets = new Map<string, MemorySecretStore>();
  const escalating = async (name: string, user = run.who.nurse) => {
    const dir = join(run.dataDir, name);
    const store = secrets.get(name) ?? new MemorySecretStore();
    secrets.set(name, store);
    const app = await launch(dir, run.notified, store, run.who, {
      policy: FAST_ESCALATION,
      user: () => user,
    });
    await app.service.handlers.signIn({ role: 'nurse' });
    await untilAsync(`${name} signed in`, () => signedIn(app), 60_000);
    return app;
  };
  const chain = {
    report: run.report,
    lab: run.lab,
    patient: run.patients[1],
    notified: run.notified,
    launch: () => escalating('escalating'),
  };
  await checkEscalation(chain, roleRef);
  await checkRestartMidEscalation(chain);
  await checkTwoWorkstations({
    report: run.report,
    lab: run.lab,
    patient: run.patients[2],
    launch: escalating,
    colleague: run.who.colleague,
  });
}

/** The pharmacist's own sign-in, worklist, review and decisions (scripts/interop/pharmacist.ts). */
async function pharmacistChecks(run: Run): Promise<void> {
  await pharmacistRole(run.lab);
  await checkPharmacist({
    report: run.report,
    lab: run.lab,
    patient: run.patients[3],
    notified: run.notified,
    focusOf: (app, alertId) => app.service.store.alerts.get(alertId)?.focus ?? null,
    launch: async () => {
      const dir = join(run.dataDir, 'pharmacy');
      const app = await launch(dir, run.notified, new MemorySecretStore(), run.who, {
        user: () => run.who.pharmacist,
      });
      await app.service.handlers.signIn({ role: 'pharmacist' });
      await untilAsync('the pharmacist signed in', () => signedIn(app), 60_000);
      return app;
    },
  });
}

/** A shared ward workstation: its backend sign-in, the locked screen, two nurses signing in at it. */
async function wardChecks(run: Run, key: WardKeyServer): Promise<void> {
  const family = 'Ember';
  const patient = await run.lab.patient(family, WARD);
  const otherWardPatient = await run.lab.patient('Fallow', 'ward-b');
  let signingIn = run.who.nurse;
  await checkWardWorkstation({
    report: run.report,
    lab: run.lab,
    patient,
    otherWardPatient,
    family,
    launch: () =>
      launch(join(run.dataDir, 'ward'), run.notified, new MemorySecretStore(), run.who, {
        ward: { clientId: run.who.wardClientId, keyFile: key.keyFile },
        user: () => signingIn,
      }),
    signIn: async (app, who) => {
      signingIn = who === 'ward-b-nurse' ? run.who.wardBNurse : run.who.nurse;
      await app.service.handlers.signIn({ role: 'nurse' });
      await untilAsync(`the ${who} signed in at the ward screen`, () => signedIn(app), 60_000);
    },
  });
}

async function main(): Promise<number> {
  console.log(`Medplum interop run against ${origin}`);
  const down = await reachable();
  if (down) {
    console.error(`No Medplum answers: ${down}.\nStart one (docs/interop.md) or set MEDPLUM_BASE_URL.`);
    return 2;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'interop-medplum-'));
  const wardKey = await serveWardKey(dataDir);
  const who = await provision(
    {
      origin,
      adminEmail: process.env['MEDPLUM_ADMIN_EMAIL'] ?? 'admin@example.com',
      adminPassword: process.env['MEDPLUM_ADMIN_PASSWORD'] ?? 'medplum_admin',
    },
    redirectUri,
    wardKey.jwksUri,
  );
  console.log(
    `Registered on Medplum: project "${PROJECT_NAME}", ClientApplication ${who.clientId}, ${redirectUri}\n`,
  );
  const lab = await signInLab(origin, who.lab, PROJECT_NAME);
  const families = ['Ardent', 'Birch', 'Cedar', 'Dune'];
  const patients = (await Promise.all(families.map((family) => lab.patient(family)))) as Run['patients'];
  const notified: Recorded[] = [];
  const secrets = new MemorySecretStore();
  const run: Run = {
    report: new Report(),
    lab,
    who,
    patients,
    dataDir,
    notified,
    secrets,
    app: await launch(dataDir, notified, secrets, who),
    first: '',
    during: [],
  };
  try {
    await checkSignIn(run);
    if (run.report.failed > 0) {
      console.log('  (the remaining checks need a signed-in app: not run)');
      run.report.print();
      return 1;
    }
    await checkSubscription(run);
    await checkCritical(run);
    await checkLaterResult(run);
    await checkDroppedSocket(run);
    await checkRestart(run);
    await checkAcknowledgment(run);
    await checkDecisions(run);
    await checkUpdateAndDelete(run);
    const nurse = (await run.app.service.handlers.getSession({})).user?.fhirUser ?? null;
    await checkCleanUp(run);
    await escalationChecks(run, nurse);
    await pharmacistChecks(run);
    await wardChecks(run, wardKey);
  } finally {
    await run.app.close().catch(() => undefined);
    await wardKey.close();
  }
  run.report.print();
  return run.report.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`interop run aborted: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
