// The closed loop against the real embedded server over loopback, with real SQLite: a critical arrives,
// is notified, seen, acknowledged (user, time, read-back note), written back as a Communication that
// the server holds, resolved; every transition is in the audit log and its CSV. Escalation runs on a
// controllable clock. Only the notifier is a recorder.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAlerting, type Alerting } from '../../../../src-main/core/alerting/alerting.ts';
import { csvCell } from '../../../../src-main/core/alerting/audit-csv.ts';
import { DEFAULT_SCOPES } from '../../../../src-main/core/auth/index.ts';
import type { FhirAccess } from '../../../../src-main/core/fhir/fhir-client.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor } from '../../../../src-main/core/monitor/monitor.ts';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import type { HostEvent } from '../../../../src-main/shared/api.ts';
import { referenceOf } from '../../../../src-main/shared/fhir-json.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import { until } from '../../../support/until.ts';
import { freePort } from '../../../support/free-port.ts';

const RULES = join(import.meta.dirname, '../../../../resources/rules/critical-values.json');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function launchServer(dbPath: string, port = 0): Promise<RunningServer> {
  const server = await startServer({ port, dbPath, simulate: { autoStart: false }, heartbeatSeconds: 5 });
  cleanups.push(() => server.close().catch(() => undefined));
  return server;
}

function tokenSession(getServer: () => RunningServer, userId = 'nurse-a') {
  const issue = () =>
    getServer().auth.issueToken({ userId, clientId: DEMO_CLIENT_ID, scopes: DEFAULT_SCOPES.nurse });
  let issued = issue();
  const access: FhirAccess = {
    fhirBase: getServer().fhirBase,
    accessToken: async () => issued.accessToken,
    onUnauthorized: async () => {
      issued = issue();
      return true;
    },
  };
  return {
    access,
    monitorSession: {
      fhirBase: getServer().fhirBase,
      fhirUser: `Practitioner/${userId}`,
      accessToken: async () => issued.accessToken,
      tokenExpiresAt: () => Date.now() + 3_600_000,
      refreshNow: async () => {
        issued = issue();
      },
    },
  };
}

interface Loop {
  store: ClientStore;
  alerting: Alerting;
  notified: AlertNotification[];
  /** Alert ids whose notifications the loop took back. */
  withdrawn: string[];
  events: HostEvent[];
  clock: { now: number };
}

function openLoop(dir: string, clock = { now: Date.now() }): Loop {
  const store = openClientStore(join(dir, 'client.sqlite'));
  const notified: AlertNotification[] = [];
  const withdrawn: string[] = [];
  const events: HostEvent[] = [];
  const alerting = createAlerting({
    store,
    notifier: { notify: async (n) => void notified.push(n), withdraw: async (id) => void withdrawn.push(id) },
    rules: createRulesHolder(RULES),
    logger: silentLogger(),
    emit: (e) => events.push(e),
    exportDir: join(dir, 'exports'),
    now: () => clock.now,
    writebackBackoff: { baseMs: 100, capMs: 400 },
  });
  cleanups.push(async () => {
    await alerting.stop();
    store.close();
  });
  return { store, alerting, notified, withdrawn, events, clock };
}

/** A classified critical alert committed the way the monitor commits one (no server involved). */
function seedCritical(store: ClientStore, n: number, receivedAt: string, patientRef = 'Patient/p1') {
  const sub = store.saveSubscription({
    fhirBase: 'http://127.0.0.1:1/fhir',
    remoteId: 's1',
    topic: CRITICAL_LAB_TOPIC,
    channel: 'sse',
    endpoint: null,
    heartbeatSeconds: 10,
    owner: 'Practitioner/nurse-a',
  });
  store.commitEvents(
    sub.key,
    sub.topic,
    [{ eventNumber: n, focus: `Observation/o${n}`, occurredAt: receivedAt }],
    'live',
  );
  const id = `${sub.key}:${n}`;
  store.db.prepare('UPDATE alerts SET received_at = ? WHERE id = ?').run(receivedAt, id);
  store.alerts.saveClassification(
    id,
    {
      tier: 'critical',
      headline: 'Potassium 6.8 mmol/L',
      reason: 'critical high (HH)',
      patientRef,
      patientName: 'Ada Lovelace',
      location: 'Ward A bed 1',
      fetchStatus: 'ok',
    },
    true,
  );
  return id;
}

describe('escalation (controllable clock)', () => {
  it('escalates an unacknowledged critical after 10 minutes, re-notifies, repeats, and stops at acknowledgment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const t0 = Date.parse('2026-01-01T08:00:00Z');
    const loop = openLoop(dir, { now: t0 });
    const id = seedCritical(loop.store, 1, new Date(t0).toISOString());

    loop.clock.now = t0 + 9 * 60_000 + 59_000;
    expect(await loop.alerting.escalateNow()).toHaveLength(0);
    expect(loop.alerting.status()).toMatchObject({ unacknowledgedCritical: 1, escalated: 0 });
    const pending = loop.store.alerts.get(id);
    expect(pending?.lifecycle).toMatchObject({
      pinned: true,
      ackDueAt: '2026-01-01T08:10:00.000Z',
      targetDueAt: '2026-01-01T08:30:00.000Z',
    });

    loop.clock.now = t0 + 10 * 60_000;
    expect(await loop.alerting.escalateNow()).toHaveLength(1);
    expect(await loop.alerting.escalateNow()).toHaveLength(0); // no double escalation at the same time
    expect(loop.store.alerts.get(id)).toMatchObject({ state: 'escalated' });
    expect(loop.store.alerts.get(id)?.lifecycle).toMatchObject({ escalationLevel: 1, pinned: true });
    expect(loop.notified).toHaveLength(1);
    expect(loop.notified[0]).toMatchObject({ alertId: id, tier: 'critical', kind: 'escalation' });
    expect(loop.notified[0]?.title).toBe('ESCALATED: Potassium 6.8 mmol/L');
    expect(loop.alerting.status()).toMatchObject({ unacknowledgedCritical: 1, escalated: 1 });

    loop.clock.now = t0 + 20 * 60_000;
    await loop.alerting.escalateNow();
    expect(loop.store.alerts.get(id)?.lifecycle?.escalationLevel).toBe(2);
    expect(loop.notified).toHaveLength(2);

    // Acknowledge needs a signed-in user: refused in words, nothing changed.
    await expect(loop.alerting.handlers.acknowledge({ alertId: id })).rejects.toThrow(/^Sign in/);
    expect(loop.store.alerts.get(id)).toMatchObject({ state: 'escalated' });
    loop.alerting.setSession({
      fhirBase: 'http://127.0.0.1:1/fhir',
      fhirUser: 'Practitioner/nurse-a',
      access: {
        fhirBase: 'http://127.0.0.1:1/fhir',
        accessToken: async () => 't',
        onUnauthorized: async () => false,
      },
    });
    // The nurse opens the escalated alert (an acknowledgment must follow a look at the result).
    await loop.alerting.handlers.markSeen({ alertId: id });
    const acked = await loop.alerting.handlers.acknowledge({ alertId: id, note: 'K 6.8 read back' });
    expect(acked).toMatchObject({ state: 'acknowledged' });
    expect(acked?.lifecycle).toMatchObject({
      acknowledgedBy: 'Practitioner/nurse-a',
      ackNote: 'K 6.8 read back',
      pinned: false,
      ackDueAt: null,
    });
    loop.clock.now = t0 + 60 * 60_000;
    expect(await loop.alerting.escalateNow()).toHaveLength(0);
    expect(loop.notified).toHaveLength(2);
    expect(loop.alerting.status().unacknowledgedCritical).toBe(0);

    const actions = loop.store.db
      .prepare<[string], { action: string }>('SELECT action FROM audit_log WHERE alert_id = ? ORDER BY id')
      .all(id)
      .map((r) => r.action);
    expect(actions).toEqual([
      'state:escalated',
      'renotified',
      'state:escalated',
      'renotified',
      'state:acknowledged',
    ]);
  });

  it('refuses transitions out of order: resolve before acknowledge, acknowledge twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const loop = openLoop(dir);
    const id = seedCritical(loop.store, 1, new Date().toISOString());
    loop.alerting.setSession({
      fhirBase: 'http://127.0.0.1:1/fhir',
      fhirUser: 'Practitioner/nurse-a',
      access: {
        fhirBase: 'http://127.0.0.1:1/fhir',
        accessToken: async () => 't',
        onUnauthorized: async () => false,
      },
    });
    expect((await loop.alerting.handlers.resolveAlert({ alertId: id }))?.state).toBe('new');
    expect((await loop.alerting.handlers.markSeen({ alertId: id }))?.lifecycle?.seenBy).toBe(
      'Practitioner/nurse-a',
    );
    const first = await loop.alerting.handlers.acknowledge({ alertId: id });
    const second = await loop.alerting.handlers.acknowledge({ alertId: id, note: 'again' });
    expect(second?.lifecycle?.acknowledgedAt).toBe(first?.lifecycle?.acknowledgedAt);
    expect(second?.lifecycle?.ackNote).toBeNull();
    expect((await loop.alerting.handlers.resolveAlert({ alertId: id, note: 'KCl stopped' }))?.state).toBe(
      'resolved',
    );
    await expect(loop.alerting.handlers.markSeen({ alertId: 'nope' })).rejects.toMatchObject({
      code: 'not-permitted',
    });
  });
});

describe('stopping', () => {
  it('pushes no status after stop: a change arriving while the service closes never reads a closed store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const loop = openLoop(dir);
    loop.alerting.pushStatus();
    await until(() => loop.events.some((e) => e.type === 'alerting'), 'a status push before stop');
    const before = loop.events.length;
    await loop.alerting.stop();
    // An alert change reported during shutdown (the monitor stops after alerting) asks for a push; the
    // store closes; every timer then due runs (fake timers: no waiting on the clock).
    vi.useFakeTimers();
    try {
      loop.alerting.pushStatus();
      loop.store.close();
      vi.runOnlyPendingTimers();
    } finally {
      vi.useRealTimers();
    }
    expect(loop.events.length).toBe(before);
  });
});

describe('acknowledging the right alert', () => {
  const session = {
    fhirBase: 'http://127.0.0.1:1/fhir',
    fhirUser: 'Practitioner/nurse-a',
    access: {
      fhirBase: 'http://127.0.0.1:1/fhir',
      accessToken: async () => 't',
      onUnauthorized: async () => false,
    },
  };

  it('refuses a critical nobody opened, and one about another patient than the one shown; audits both', async () => {
    const loop = openLoop(mkdtempSync(join(tmpdir(), 'alerting-')));
    const id = seedCritical(loop.store, 1, new Date().toISOString());
    loop.alerting.setSession(session);

    // Refused in words, with a code the page tells from a failure (a host answers it 403), nothing changed.
    await expect(
      loop.alerting.handlers.acknowledge({ alertId: id, note: 'K read back' }),
    ).rejects.toMatchObject({
      name: 'ApiRefusedError',
      code: 'not-opened',
      message: expect.stringMatching(/^Refused: open the result first/),
    });
    expect(loop.store.alerts.get(id)).toMatchObject({ state: 'new' });
    expect(loop.store.alerts.get(id)?.lifecycle?.acknowledgedAt).toBeNull();

    await loop.alerting.handlers.markSeen({ alertId: id });
    await expect(
      loop.alerting.handlers.acknowledge({ alertId: id, patient: 'Patient/p2' }),
    ).rejects.toMatchObject({
      name: 'ApiRefusedError',
      code: 'wrong-patient',
      message: 'Refused: the alert is about a different patient than the one shown.',
    });
    expect(loop.store.alerts.get(id)).toMatchObject({ state: 'seen' });

    const right = await loop.alerting.handlers.acknowledge({ alertId: id, patient: 'Patient/p1' });
    expect(right).toMatchObject({ state: 'acknowledged' });
    const refusals = loop.store.db
      .prepare<[string], { detail: string }>(
        "SELECT detail FROM audit_log WHERE alert_id = ? AND action = 'ack-refused' ORDER BY id",
      )
      .all(id)
      .map((r) => r.detail);
    expect(refusals).toEqual([
      'a critical result must be opened before it is acknowledged',
      'the alert is about a different patient than the one shown',
    ]);
  });

  it('an escalated critical opened only now may be acknowledged; another user’s look does not count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const t0 = Date.parse('2026-01-01T08:00:00Z');
    const loop = openLoop(dir, { now: t0 });
    const id = seedCritical(loop.store, 1, new Date(t0).toISOString());
    loop.clock.now = t0 + 10 * 60_000;
    await loop.alerting.escalateNow();
    loop.alerting.setSession({ ...session, fhirUser: 'Practitioner/nurse-b' });
    await loop.alerting.handlers.markSeen({ alertId: id });
    loop.alerting.setSession(session);
    await expect(loop.alerting.handlers.acknowledge({ alertId: id })).rejects.toMatchObject({
      code: 'not-opened',
    });
    expect(loop.store.alerts.get(id)).toMatchObject({ state: 'escalated' });
    await loop.alerting.handlers.markSeen({ alertId: id });
    expect(await loop.alerting.handlers.acknowledge({ alertId: id })).toMatchObject({
      state: 'acknowledged',
    });
  });

  it('withdraws the notifications of an acknowledged alert', async () => {
    const loop = openLoop(mkdtempSync(join(tmpdir(), 'alerting-')));
    const id = seedCritical(loop.store, 1, new Date().toISOString());
    const other = seedCritical(loop.store, 2, new Date().toISOString());
    loop.alerting.setSession(session);
    await loop.alerting.handlers.markSeen({ alertId: id });
    await loop.alerting.handlers.acknowledge({ alertId: id });
    expect(loop.withdrawn).toEqual([id]);
    expect(loop.withdrawn).not.toContain(other);
  });
});

describe('closed loop against the embedded server', () => {
  it('critical -> notified -> seen -> acknowledged -> Communication on the server -> resolved, all audited and exported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const server = await launchServer(join(dir, 'server.sqlite'));
    const { access, monitorSession } = tokenSession(() => server);
    const loop = openLoop(dir);
    const monitor = createMonitor({
      store: loop.store,
      session: monitorSession,
      notifier: { notify: async (n) => void loop.notified.push(n) },
      topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5 }],
      emit: (e) => loop.events.push(e),
      onHealthChange: () => undefined,
      logger: silentLogger(),
      rules: createRulesHolder(RULES),
    });
    cleanups.push(() => monitor.stop());
    await monitor.start();
    await until(() => monitor.health()[0]?.connection === 'live', 'a live stream');
    loop.alerting.setSession({
      fhirBase: server.fhirBase,
      fhirUser: 'Practitioner/nurse-a',
      display: 'Alex Rivera, RN',
      access,
    });

    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => loop.notified.length === 1, 'the notification');
    await monitor.idle();
    const [alert] = loop.store.alerts.list(1);
    if (!alert) throw new Error('no alert');
    expect(alert.summary).toBe('K 6.8 mmol/L > 6.2');
    expect(alert.location).toMatch(/^Ward A bed \d+$/);
    // The patient is told apart by the MRN, read from the Patient at enrichment with the bed's ward.
    expect(alert.patient?.mrn).toMatch(/^PT-\d{4}$/);
    expect(alert.patient?.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(alert.ward).toBe('Ward A (adult medical)');
    expect(loop.notified[0]?.body).toBe(
      `K 6.8 mmol/L > 6.2 — ${alert.location} — ${alert.patient?.name}, MRN ${alert.patient?.mrn}`,
    );
    expect(alert.lifecycle).toMatchObject({ notifyState: 'notified', pinned: true });

    await loop.alerting.handlers.markSeen({ alertId: alert.id });
    const acked = await loop.alerting.handlers.acknowledge({ alertId: alert.id, note: 'read back K 6.8' });
    expect(acked?.lifecycle?.writeback.state).toBe('pending');
    await loop.alerting.writebackNow();
    const written = loop.store.alerts.get(alert.id);
    expect(written?.lifecycle?.writeback).toMatchObject({ state: 'done', error: null });
    const reference = written?.lifecycle?.writeback.reference ?? '';
    expect(reference).toMatch(/^Communication\/ack-[0-9a-f]{40}$/);

    // The server holds it: about the Observation, sent by the user, on the same ward.
    const response = await fetch(`${server.fhirBase}/${reference}`, {
      headers: { Authorization: `Bearer ${await access.accessToken()}` },
    });
    expect(response.status).toBe(200);
    const communication = (await response.json()) as Record<string, unknown>;
    expect(communication).toMatchObject({
      resourceType: 'Communication',
      status: 'completed',
      about: [{ reference: alert.focus }],
      sender: { reference: 'Practitioner/nurse-a' },
      subject: { reference: alert.patient?.reference },
    });
    expect(JSON.stringify(communication['payload'])).toContain('read back K 6.8');
    expect(JSON.stringify(communication['meta'])).toContain('ward-a');

    // A ward B nurse cannot see ward A's acknowledgment.
    const other = tokenSession(() => server, 'nurse-b');
    const hidden = await fetch(`${server.fhirBase}/${reference}`, {
      headers: { Authorization: `Bearer ${await other.access.accessToken()}` },
    });
    expect(hidden.status).toBe(404);

    expect((await loop.alerting.handlers.resolveAlert({ alertId: alert.id }))?.state).toBe('resolved');

    const exported = await loop.alerting.handlers.exportAudit({});
    expect(exported.path).not.toBeNull();
    expect(readFileSync(exported.path ?? '', 'utf8')).toBe(exported.csv);
    const lines = exported.csv.trim().split('\r\n');
    // Beside each actor's reference the name the workstation knows for it; the last column is the time
    // to acknowledge (on acknowledgment rows).
    expect(lines[0]).toBe('id,at,alert_id,focus,tier,action,actor,actor_name,detail,time_to_ack_s');
    const actions = lines.slice(1).map((l) => l.split(',')[5]);
    expect(actions).toEqual([
      'notified',
      'state:seen',
      'state:acknowledged',
      'writeback:done',
      'state:resolved',
    ]);
    const ackLine = lines.find((l) => l.includes('state:acknowledged')) ?? '';
    const name = written?.lifecycle?.acknowledgedByName ?? '';
    expect(name).not.toBe('');
    expect(ackLine).toContain(`,Practitioner/nurse-a,${csvCell(name)},`);
    expect(ackLine).toMatch(/,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,/);
    expect(ackLine).not.toContain('read back K 6.8'); // the note's text stays out of the audit log
  });

  it('shows a failed write-back and retries it with backoff until the server is back; never duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const port = await freePort();
    const serverDb = join(dir, 'server.sqlite');
    let server = await launchServer(serverDb, port);
    const observation = server.simulator?.emitCriticalPotassium('ward-a');
    const { access } = tokenSession(() => server);
    const loop = openLoop(dir, {
      get now() {
        return Date.now();
      },
    });
    // The acknowledgment names the Observation's real patient: the server refuses a write-back for a
    // patient outside the nurse's ward, an unknown one included (docs/server.md, "Write rules").
    const patientRef = referenceOf(observation?.['subject']) ?? 'Patient/p1';
    const id = seedCritical(loop.store, 1, new Date().toISOString(), patientRef);
    loop.store.db
      .prepare('UPDATE alerts SET focus = ? WHERE id = ?')
      .run(`Observation/${observation?.id}`, id);
    await server.close();

    loop.alerting.setSession({ fhirBase: server.fhirBase, fhirUser: 'Practitioner/nurse-a', access });
    await loop.alerting.handlers.markSeen({ alertId: id });
    await loop.alerting.handlers.acknowledge({ alertId: id });
    await loop.alerting.writebackNow();
    const failed = loop.store.alerts.get(id)?.lifecycle?.writeback;
    expect(failed?.state).toBe('failed');
    expect(failed?.error).toBeTruthy();
    expect(loop.alerting.status().writeback).toMatchObject({ pending: 1, failed: 1 });

    server = await launchServer(serverDb, port);
    await until(
      () => loop.store.alerts.get(id)?.lifecycle?.writeback.state === 'done',
      'the retried write-back',
      10_000,
    );
    // A second acknowledgment attempt neither re-queues nor duplicates on the server.
    await loop.alerting.handlers.acknowledge({ alertId: id });
    const reference = loop.store.alerts.get(id)?.lifecycle?.writeback.reference ?? '';
    const history = await fetch(`${server.fhirBase}/${reference}/_history`, {
      headers: { Authorization: `Bearer ${await access.accessToken()}` },
    });
    expect(((await history.json()) as { total: number }).total).toBe(1);
    expect(loop.alerting.status().writeback).toMatchObject({ pending: 0 });
  });

  it('marks the write-back unsupported (shown, not silently dropped) when the server takes neither resource', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const { createServer: createHttp } = await import('node:http');
    const fake = createHttp((req, res) => {
      res.setHeader('content-type', 'application/fhir+json');
      res.end(
        JSON.stringify({
          resourceType: 'CapabilityStatement',
          rest: [{ resource: [{ type: 'Observation' }] }],
        }),
      );
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => fake.close(() => r())));
    const address = fake.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/fhir`;
    const loop = openLoop(dir);
    const id = seedCritical(loop.store, 1, new Date().toISOString());
    loop.alerting.setSession({
      fhirBase: base,
      fhirUser: 'Practitioner/nurse-a',
      access: { fhirBase: base, accessToken: async () => 't', onUnauthorized: async () => false },
    });
    await loop.alerting.handlers.markSeen({ alertId: id });
    await loop.alerting.handlers.acknowledge({ alertId: id });
    await loop.alerting.writebackNow();
    expect(loop.store.alerts.get(id)?.lifecycle?.writeback).toMatchObject({
      state: 'unsupported',
      error: expect.stringMatching(/recorded on this workstation only/),
    });
  });
});
