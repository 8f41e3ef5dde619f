// The closed loop across workstations (docs/alerting.md), against ONE embedded server with THREE
// monitors: two ward workstations of Ward A (each its own store and ward identity, a nurse signed in to
// act) and the charge nurse's own workstation. Everything is real (server, SQLite, SMART flows, SSE);
// only the OS notification daemon is a recorder. Waits are for the mechanism (the other monitor's
// pushed event, the server's records) with generous deadlines; speed is the soak's figure.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FAIL_SAFE_ROLE,
  type EscalationPolicy,
} from '../../../../src-main/core/alerting/escalation-policy.ts';
import { readStep } from '../../../../src-main/core/alerting/loop-resources.ts';
import { CRITICAL_LAB_TOPIC, topicsForRole } from '../../../../src-main/core/monitor/topics.ts';
import type { BackendClientRegistration } from '../../../../src-main/server/auth/index.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import type { AlertSummary } from '../../../../src-main/shared/api.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { field, referenceOf, type JsonRecord } from '../../../../src-main/shared/fhir-json.ts';
import {
  live,
  PATIENT_ESCALATION,
  QUICK_ESCALATION,
  searchAsNurse,
  startWorkstation,
  wardIdentity,
  type Workstation,
} from '../../../support/workstations.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Nobody is asked within these tests' lifetime unless a test shortens it. */
const PATIENT = PATIENT_ESCALATION;

const QUICK = QUICK_ESCALATION;

interface Ward {
  server: RunningServer;
  ws1: Workstation;
  ws2: Workstation;
  charge: Workstation;
  dir: string;
}

/** The embedded server of these tests (no simulator running, 5 s heartbeats), closed after each test. */
async function wardServer(dir: string, backendClients: BackendClientRegistration[]): Promise<RunningServer> {
  const server = await startServer({
    port: 0,
    dbPath: join(dir, 'server.sqlite'),
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
    backendClients,
  });
  cleanups.push(() => server.close());
  return server;
}

/** One server; two Ward A workstations (Riley Chen and Morgan Patel signed in) and the charge nurse. */
async function wardA(policy: EscalationPolicy, chargePolicy: EscalationPolicy = policy): Promise<Ward> {
  const dir = mkdtempSync(join(tmpdir(), 'closed-loop-'));
  const one = await wardIdentity(dir, 'ward-a-ws1', 'ward-a');
  const two = await wardIdentity(dir, 'ward-a-ws2', 'ward-a');
  const server = await wardServer(dir, [one.registration, two.registration]);
  const start = (name: string, options: Partial<Parameters<typeof startWorkstation>[0]>) => {
    const ws = startWorkstation({
      name,
      dataDir: join(dir, name),
      fhirBase: server.fhirBase,
      policy,
      ...options,
    });
    cleanups.push(() => ws.close());
    return ws;
  };
  const ws1 = start('ws1', { ward: { ward: 'ward-a', clientId: 'ward-a-ws1', key: one.key } });
  const ws2 = start('ws2', { ward: { ward: 'ward-a', clientId: 'ward-a-ws2', key: two.key } });
  const charge = start('charge', { policy: chargePolicy });
  await Promise.all([ws1.signIn('nurse-a2'), ws2.signIn('nurse-a3'), charge.signIn('nurse-a')]);
  await Promise.all([live(ws1), live(ws2), live(charge)]);
  return { server, ws1, ws2, charge, dir };
}

/**
 * A critical potassium on Ward A, once every workstation shows it and its nurse has opened it (a critical
 * is acknowledged only after a look at the result, docs/alerting.md).
 */
async function critical(ward: Ward): Promise<{ focus: string; alerts: Record<string, AlertSummary> }> {
  const observation = ward.server.simulator?.emitCriticalPotassium('ward-a');
  const focus = `Observation/${observation?.id ?? '?'}`;
  const alerts: Record<string, AlertSummary> = {};
  for (const ws of [ward.ws1, ward.ws2, ward.charge]) {
    const shown = await until(async () => {
      const alert = await ws.alertFor(focus);
      return alert?.tier === 'critical' ? alert : null;
    }, `${ws.name}: the critical`);
    await ws.service.handlers.markSeen({ alertId: shown.id });
    alerts[ws.name] = shown;
  }
  return { focus, alerts };
}

/** The pushed `alert` event of `ws` for `alertId` that satisfies `check`. */
function pushed(ws: Workstation, alertId: string, check: (a: AlertSummary) => boolean): AlertSummary | null {
  for (const event of ws.events)
    if (event.type === 'alert' && event.alert.id === alertId && check(event.alert)) return event.alert;
  return null;
}

const stepNotices = (ws: Workstation, alertId: string, step: number) =>
  ws.notifier.raised.filter((n) => n.alertId === alertId && n.kind === 'escalation' && n.step === step);

/**
 * A critical shown on a Ward A workstation (Riley Chen) and on the charge nurse's screen as an older
 * version left it (critical results only); acknowledged on the ward workstation while the charge nurse's
 * screen is away; `whileAway` runs then; the charge nurse's screen starts again with every topic and
 * shows the acknowledgment, which its new closed-loop subscription never delivered (read at start).
 */
async function acknowledgedWhileAway(
  whileAway: (server: RunningServer, focus: string) => Promise<void> = async () => {},
): Promise<{ server: RunningServer; charge: Workstation; shown: AlertSummary }> {
  const dir = mkdtempSync(join(tmpdir(), 'closed-loop-'));
  const one = await wardIdentity(dir, 'ward-a-ws1', 'ward-a');
  const server = await wardServer(dir, [one.registration]);
  const ws1 = startWorkstation({
    name: 'ws1',
    dataDir: join(dir, 'ws1'),
    fhirBase: server.fhirBase,
    policy: PATIENT,
    ward: { ward: 'ward-a', clientId: 'ward-a-ws1', key: one.key },
  });
  cleanups.push(() => ws1.close());
  // The charge nurse's screen as an older version left it: subscribed to critical results only.
  const chargeOptions = {
    name: 'charge',
    dataDir: join(dir, 'charge'),
    fhirBase: server.fhirBase,
    policy: PATIENT,
  };
  const before = startWorkstation({
    ...chargeOptions,
    topics: topicsForRole('nurse', 5).filter((t) => t.topic === CRITICAL_LAB_TOPIC),
  });
  cleanups.push(() => before.close());
  await Promise.all([ws1.signIn('nurse-a2'), before.signIn('nurse-a')]);
  await live(ws1);
  await until(async () => {
    const health = await before.service.handlers.getHealth({});
    return health.subscriptions.some((s) => s.topic === CRITICAL_LAB_TOPIC && s.connection === 'live');
  }, 'the charge nurse’s critical subscription live');
  const observation = server.simulator?.emitCriticalPotassium('ward-a');
  const focus = `Observation/${observation?.id ?? '?'}`;
  const shownAt = async (ws: Workstation) =>
    until(async () => {
      const alert = await ws.alertFor(focus);
      return alert?.tier === 'critical' ? alert : null;
    }, `${ws.name}: the critical`);
  const [ws1Alert] = await Promise.all([shownAt(ws1), shownAt(before)]);
  await before.close();

  // Acknowledged while the charge nurse's screen is away; then it starts with every topic: its new
  // closed-loop subscription will never deliver a record written before it existed.
  await ws1.service.handlers.markSeen({ alertId: ws1Alert.id });
  await ws1.service.handlers.acknowledge({ alertId: ws1Alert.id });
  await until(
    async () => (await searchAsNurse(server, `Communication?about=${focus}`)).length === 1,
    'the acknowledgment on the server',
  );
  await whileAway(server, focus);
  const charge = startWorkstation(chargeOptions);
  cleanups.push(() => charge.close());
  await charge.signIn('nurse-a');
  const shown = await until(async () => {
    const alert = await charge.alertFor(focus);
    return alert?.lifecycle?.acknowledgedElsewhere ? alert : null;
  }, 'the charge nurse’s screen: acknowledged on another workstation');
  return { server, charge, shown };
}

describe('closed loop across workstations', () => {
  it('an acknowledgment written before a screen subscribed to the closed loop is still shown there (read at start)', async () => {
    const { shown } = await acknowledgedWhileAway();
    expect(shown.state).toBe('acknowledged');
    expect(shown.lifecycle?.acknowledgedBy).toBe('Practitioner/nurse-a2');
  }, 120_000);

  it('an acknowledgment that names its sender by reference only (another implementation wrote it) is exported with the name read from the server', async () => {
    const { charge, shown } = await acknowledgedWhileAway(async (server, focus) => {
      // The record as a server or client that keeps only the reference leaves it: no sender.display.
      const [record] = await searchAsNurse(server, `Communication?about=${focus}`);
      const { display: _display, ...sender } = (record?.['sender'] ?? {}) as JsonRecord;
      const token = server.auth.issueToken({
        userId: 'nurse-a2',
        clientId: DEMO_CLIENT_ID,
        scopes: ['user/Communication.cruds'],
      });
      const put = await fetch(`${server.fhirBase}/Communication/${String(record?.['id'])}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token.accessToken}`, 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify({ ...record, sender }),
      });
      expect(put.status).toBe(200);
    });
    expect(shown.lifecycle?.acknowledgedBy).toBe('Practitioner/nurse-a2');
    // Nothing here knew her name: the record did not carry it and she never signed in on this screen.
    expect(shown.lifecycle?.acknowledgedByName ?? null).toBeNull();
    const audit = await charge.service.handlers.exportAudit({});
    const line =
      audit.csv.split('\r\n').find((l) => l.includes(shown.id) && l.includes('state:acknowledged')) ?? '';
    expect(line).toContain(`,Practitioner/nurse-a2,"Riley Chen, RN (Ward A)",`);
  }, 120_000);

  it('an acknowledgment on one Ward A workstation clears the other and the charge nurse’s: the name, its notification withdrawn', async () => {
    const ward = await wardA(PATIENT);
    const { focus, alerts } = await critical(ward);
    const ws1Alert = alerts['ws1']?.id ?? '';
    const ws2Alert = alerts['ws2']?.id ?? '';
    const chargeAlert = alerts['charge']?.id ?? '';
    // The ward screen and the charge nurse were told of the critical itself.
    await until(() => ward.ws2.notifier.raised.some((n) => n.alertId === ws2Alert), 'ws2 notified');

    const acked = await ward.ws1.service.handlers.acknowledge({ alertId: ws1Alert, note: 'K 6.8 read back' });
    expect(acked?.lifecycle).toMatchObject({
      acknowledgedBy: 'Practitioner/nurse-a2',
      acknowledgedByName: 'Riley Chen, RN (Ward A)',
      acknowledgedElsewhere: false,
    });

    // The other workstation learns it by subscription: its own pushed event says who and when.
    const elsewhere = await until(
      () => pushed(ward.ws2, ws2Alert, (a) => a.lifecycle?.acknowledgedElsewhere === true),
      'ws2’s pushed event: acknowledged on another workstation',
    );
    expect(elsewhere.state).toBe('acknowledged');
    expect(elsewhere.lifecycle).toMatchObject({
      acknowledgedBy: 'Practitioner/nurse-a2',
      acknowledgedByName: 'Riley Chen, RN (Ward A)',
      acknowledgedAt: acked?.lifecycle?.acknowledgedAt,
      pinned: false,
      ackDueAt: null,
    });
    expect(ward.ws2.notifier.withdrawn).toContain(ws2Alert);
    const charge = await until(
      () => pushed(ward.charge, chargeAlert, (a) => a.lifecycle?.acknowledgedElsewhere === true),
      'the charge nurse’s pushed event',
    );
    expect(charge.lifecycle?.acknowledgedByName).toBe('Riley Chen, RN (Ward A)');
    expect(ward.charge.notifier.withdrawn).toContain(chargeAlert);

    // One record on the server: who, when, the read-back, which result.
    const records = await searchAsNurse(ward.server, `Communication?about=${focus}`);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      sender: { reference: 'Practitioner/nurse-a2', display: 'Riley Chen, RN (Ward A)' },
      about: [{ reference: focus }],
      sent: acked?.lifecycle?.acknowledgedAt,
    });
    expect(JSON.stringify(records[0]?.['payload'])).toContain('K 6.8 read back');

    // Its audit says so, with the time to acknowledge.
    const audit = await ward.ws2.service.handlers.exportAudit({});
    const line =
      audit.csv.split('\r\n').find((l) => l.includes(ws2Alert) && l.includes('state:acknowledged')) ?? '';
    // By reference and by the name the shared record carried (ws2 never had nurse-a2 signed in).
    expect(line).toContain(`,Practitioner/nurse-a2,"Riley Chen, RN (Ward A)",`);
    expect(line).toContain('on another workstation');
    expect(line).toMatch(/,\d+$/);
  }, 120_000);

  it('two workstations acknowledging at the same moment record one acknowledgment, and both show the same person', async () => {
    const ward = await wardA(PATIENT);
    const { focus, alerts } = await critical(ward);
    await Promise.all([
      ward.ws1.service.handlers.acknowledge({ alertId: alerts['ws1']?.id ?? '' }),
      ward.ws2.service.handlers.acknowledge({ alertId: alerts['ws2']?.id ?? '' }),
    ]);
    const shown = async (ws: Workstation) => {
      const alert = await ws.alertFor(focus);
      return alert?.lifecycle?.writeback.state === 'done' ? alert.lifecycle.acknowledgedBy : null;
    };
    const records = await until(async () => {
      const found = await searchAsNurse(ward.server, `Communication?about=${focus}`);
      return found.length > 0 ? found : null;
    }, 'the acknowledgment on the server');
    const winner = referenceOf(field(records[0], 'sender'));
    await until(
      async () => (await shown(ward.ws1)) === winner && (await shown(ward.ws2)) === winner,
      'the same person on both',
    );
    await until(
      async () => (await ward.charge.alertFor(focus))?.lifecycle?.acknowledgedBy === winner,
      'and at the charge nurse',
    );
    expect(await searchAsNurse(ward.server, `Communication?about=${focus}`)).toHaveLength(1);
    const history = await searchAsNurse(ward.server, `Communication/${String(records[0]?.['id'])}/_history`);
    expect(history).toHaveLength(1);
  }, 120_000);

  it('the same nurse acknowledging on two screens at the same moment: both show the one the server holds, its time and read-back', async () => {
    const ward = await wardA(PATIENT);
    // Riley Chen at both Ward A workstations (she moved from one to the other and clicked on both).
    await ward.ws2.signIn('nurse-a2');
    await live(ward.ws2);
    const { focus, alerts } = await critical(ward);
    await Promise.all([
      ward.ws1.service.handlers.acknowledge({
        alertId: alerts['ws1']?.id ?? '',
        note: 'K 6.8 read back by Dr Lee',
      }),
      ward.ws2.service.handlers.acknowledge({
        alertId: alerts['ws2']?.id ?? '',
        note: 'K 6.8 read back by Dr Ray',
      }),
    ]);
    const records = await until(async () => {
      const found = await searchAsNurse(ward.server, `Communication?about=${focus}`);
      return found.length > 0 ? found : null;
    }, 'the acknowledgment on the server');
    const held = records[0];
    const heldAt = String(held?.['sent']);
    const heldContent = JSON.stringify(held?.['payload']);
    const heldNote = heldContent.includes('Dr Lee')
      ? 'K 6.8 read back by Dr Lee'
      : 'K 6.8 read back by Dr Ray';
    const written = async (ws: Workstation) => {
      const alert = await ws.alertFor(focus);
      return alert?.lifecycle?.writeback.state === 'done' ? alert.lifecycle : null;
    };
    // Both screens' write-backs are done: the first created the record, the second found it held.
    const [one, two] = await Promise.all([
      until(() => written(ward.ws1), 'ws1 written back'),
      until(() => written(ward.ws2), 'ws2 written back'),
    ]);
    for (const lifecycle of [one, two]) {
      expect(lifecycle.acknowledgedBy).toBe('Practitioner/nurse-a2');
      expect(Date.parse(lifecycle.acknowledgedAt ?? '')).toBe(Date.parse(heldAt));
      expect(lifecycle.ackNote).toBe(heldNote);
    }
    // The screen whose acknowledgment came second says it was recorded on another workstation.
    expect([one.acknowledgedElsewhere ?? false, two.acknowledgedElsewhere ?? false].sort()).toEqual([
      false,
      true,
    ]);
    expect(await searchAsNurse(ward.server, `Communication?about=${focus}`)).toHaveLength(1);
  }, 120_000);

  it('an unacknowledged critical reaches the ward’s nurses, then the charge nurse after the configured delay, exactly once; then the fail-safe list', async () => {
    const ward = await wardA(QUICK);
    const { focus, alerts } = await critical(ward);
    const chargeAlert = alerts['charge']?.id ?? '';
    // The fail-safe step comes after both others: by then any repeat of them would have happened.
    await until(
      () => stepNotices(ward.charge, chargeAlert, 3).length > 0,
      'the fail-safe list at the charge nurse',
    );
    expect(stepNotices(ward.charge, chargeAlert, 3)[0]?.body).toContain('House supervisor (ext. 4400)');
    expect(stepNotices(ward.charge, chargeAlert, 2)).toHaveLength(1);
    expect(stepNotices(ward.charge, chargeAlert, 2)[0]?.title).toMatch(/^ESCALATED TO YOU/);
    // Step 1 asked the ward's nurses (a Group): both ward screens were told, once each.
    for (const ws of [ward.ws1, ward.ws2])
      expect(stepNotices(ws, alerts[ws.name]?.id ?? '', 1), ws.name).toHaveLength(1);
    expect(stepNotices(ward.charge, chargeAlert, 1)).toHaveLength(0);

    // One Task per step on the server, addressed by role.
    const tasks = await searchAsNurse(ward.server, `Task?focus=${focus}`);
    const byStep = tasks.map((t) => readStep(t)?.step).sort();
    expect(byStep).toEqual([1, 2, 3]);
    const step2 = tasks.find((t) => readStep(t)?.step === 2);
    expect(step2?.['owner']).toMatchObject({ reference: 'PractitionerRole/nurse-a-ward-a' });
    const step1 = tasks.find((t) => readStep(t)?.step === 1);
    expect(step1?.['owner']).toMatchObject({ reference: 'Group/ward-a-nurses' });

    // The chain is on the alert: who was asked, when.
    const chain = (await ward.charge.alertFor(focus))?.escalation ?? [];
    expect(chain.map((s) => [s.step, s.role, s.status])).toEqual([
      [1, 'nurse', 'requested'],
      [2, 'charge-nurse', 'requested'],
      [3, FAIL_SAFE_ROLE, 'fail-safe'],
    ]);
    expect(chain[1]?.targetName).toBe('Alex Rivera, RN (charge nurse, Ward A)');
  }, 120_000);

  it('a decline moves to the next step at once; an acceptance acknowledges as the one who accepted', async () => {
    // The charge nurse's step is long in coming unless the nurses decline.
    const slowSecond: EscalationPolicy = {
      ...QUICK,
      steps: [
        { role: 'nurse', afterMinutes: 0.02 },
        { role: 'charge-nurse', afterMinutes: 60 },
        { role: FAIL_SAFE_ROLE, afterMinutes: 60 },
      ],
    };
    const ward = await wardA(slowSecond);
    const { focus, alerts } = await critical(ward);
    const ws1Alert = alerts['ws1']?.id ?? '';
    const asked = await until(async () => {
      const alert = await ward.ws1.alertFor(focus);
      return alert?.escalation?.find((s) => s.step === 1 && s.addressedToYou) ? alert : null;
    }, 'step 1 addressed to the nurse at ws1');
    expect(asked.escalation?.[0]?.targetName).toBe('Ward A nurses');

    await ward.ws1.service.handlers.answerEscalation({ alertId: ws1Alert, step: 1, answer: 'decline' });
    const chargeAlert = alerts['charge']?.id ?? '';
    await until(() => stepNotices(ward.charge, chargeAlert, 2).length > 0, 'the charge nurse asked at once');
    const chain = await until(async () => {
      const steps = (await ward.charge.alertFor(focus))?.escalation ?? [];
      return steps[0]?.status === 'declined' && steps[1]?.addressedToYou ? steps : null;
    }, 'the decline and step 2 at the charge nurse');
    expect(chain[0]).toMatchObject({
      answeredBy: 'Practitioner/nurse-a2',
      answeredByName: 'Riley Chen, RN (Ward A)',
    });

    // An answer sent with another patient than the alert's (a stale or mixed-up screen) changes nothing.
    for (const answer of ['accept', 'decline'] as const)
      await expect(
        ward.charge.service.handlers.answerEscalation({
          alertId: chargeAlert,
          step: 2,
          answer,
          patient: 'Patient/someone-else',
        }),
      ).rejects.toThrow(/different patient/);
    expect((await ward.charge.alertFor(focus))?.escalation?.[1]?.status).toBe('requested');

    const patient = (await ward.charge.alertFor(focus))?.patient?.reference;
    const accepted = await ward.charge.service.handlers.answerEscalation({
      alertId: chargeAlert,
      step: 2,
      answer: 'accept',
      note: 'coming',
      ...(patient ? { patient } : {}),
    });
    expect(accepted?.lifecycle).toMatchObject({
      acknowledgedBy: 'Practitioner/nurse-a',
      acknowledgedElsewhere: false,
    });
    expect(accepted?.state).toBe('acknowledged');
    expect(accepted?.lifecycle?.ackNote).toBe('coming');
    await until(
      () =>
        pushed(
          ward.ws2,
          alerts['ws2']?.id ?? '',
          (a) => a.lifecycle?.acknowledgedBy === 'Practitioner/nurse-a',
        ),
      'ws2: acknowledged by the charge nurse',
    );
    const audit = await ward.charge.service.handlers.exportAudit({});
    const actions = audit.csv
      .split('\r\n')
      .filter((l) => l.includes(chargeAlert))
      .map((l) => l.split(',')[5]);
    expect(actions).toEqual(
      expect.arrayContaining([
        'escalation:asked',
        'escalation:declined',
        'escalation:accepted',
        'state:acknowledged',
      ]),
    );
    // A step not addressed to her is refused.
    await expect(
      ward.ws1.service.handlers.answerEscalation({ alertId: ws1Alert, step: 2, answer: 'accept' }),
    ).rejects.toThrow(/Not permitted/);
  }, 120_000);
});
