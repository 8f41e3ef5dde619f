// The monitor against a server that behaves like Medplum 5.0.10 did on the wire (test/support/fhir-peer.ts;
// the same flows run against a real Medplum in `npm run interop:medplum`): no topics, no SSE channel,
// `meta.profile` refused, a websocket subscription deleted with its socket, eventNumber "0", no
// `$events`, a delete notified with the last version. Real SQLite, real loopback HTTP and websocket;
// the recording notifier stands in for the OS notification daemon.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsCovered } from '../../../../src-main/core/alerting/notification-text.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor, type Monitor } from '../../../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { potassium, startFhirPeer, TOKEN, type FhirPeer } from '../../../support/fhir-peer.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function peer(): Promise<FhirPeer> {
  const started = await startFhirPeer({ heartbeatMs: 500 });
  cleanups.push(() => started.close());
  return started;
}

interface Nurse {
  store: ClientStore;
  monitor: Monitor;
  notified: AlertNotification[];
  /** The alerts whose notifications were taken back. */
  withdrawn: string[];
  /** Stop the monitor and close its store (a restart, or the end of the test). */
  close(): Promise<void>;
}

/** A nurse's monitor on the peer; every run of it shares `notified` when given (restarts). */
function nurse(base: string, storePath: string, notified: AlertNotification[] = []): Nurse {
  const store = openClientStore(storePath);
  const withdrawn: string[] = [];
  const monitor = createMonitor({
    store,
    session: {
      fhirBase: base,
      fhirUser: 'Practitioner/nurse-1',
      accessToken: async () => TOKEN,
      refreshNow: async () => undefined,
      tokenExpiresAt: () => null,
    },
    notifier: {
      notify: async (n) => void notified.push(n),
      withdraw: async (alertId) => void withdrawn.push(alertId),
    },
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 10 }],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
    channelBackoff: { baseMs: 20, capMs: 200 },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await monitor.stop();
    store.close();
  };
  cleanups.push(close);
  return { store, monitor, notified, withdrawn, close };
}

const storePath = () => join(mkdtempSync(join(tmpdir(), 'medplum-like-')), 'monitor.sqlite');
const ref = (resource: Record<string, unknown>) => `Observation/${String(resource['id'])}`;
const alertsFor = (store: ClientStore, focus: string) =>
  store.alerts.list(100).filter((a) => a.focus === focus);

describe('against a server that behaves like Medplum', () => {
  it('subscribes as it accepts: search criteria, no meta.profile, websocket after an SSE attempt it deleted', async () => {
    const server = await peer();
    const { monitor } = nurse(server.base, storePath());
    await monitor.start();
    await until(() => server.boundSubscriptions().length === 1, 'the websocket bind');
    await until(() => monitor.health()[0]?.connection === 'live', 'live');

    const posts = server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Subscription'));
    const bodies = posts.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(bodies.map((b) => (b['channel'] as { type: string }).type)).toEqual(['rest-hook', 'websocket']);
    for (const body of bodies) {
      expect(body['criteria']).toBe('Observation?category=laboratory');
      expect((body['meta'] as { profile?: unknown } | undefined)?.profile).toBeUndefined();
    }
    // The SSE attempt was stored without a stream endpoint: deleted, not left behind.
    expect(server.subscriptions()).toHaveLength(1);
    expect(server.subscriptions()[0]?.['channel']).toEqual({
      type: 'websocket',
      payload: 'application/fhir+json',
    });
    expect(monitor.health()[0]).toMatchObject({ channel: 'websocket', connection: 'live' });
  });

  it('a critical result is committed and notified exactly once, as a live alert', async () => {
    const server = await peer();
    const { store, monitor, notified } = nurse(server.base, storePath());
    await monitor.start();
    await until(() => server.boundSubscriptions().length === 1, 'the websocket bind');
    const c1 = ref(server.lab.create(potassium()));
    await until(() => notified.length === 1, 'the notification');
    // A later reconciliation (a handshake after a reconnect) sees the same version: no second alert.
    server.lab.renotify(c1);
    await until(() => (monitor.health()[0]?.duplicatesDropped ?? 0) >= 1, 'the repeat to be dropped');
    await monitor.idle();
    expect(alertsFor(store, c1)).toHaveLength(1);
    expect(notified).toEqual([expect.objectContaining({ kind: 'alert', tier: 'critical' })]);
  });

  it('a burst (frames queued behind a commit are merged), with a correction right behind one result: each alert once, with its latest value', async () => {
    const server = await peer();
    const { store, monitor, notified } = nurse(server.base, storePath());
    await monitor.start();
    await until(() => server.boundSubscriptions().length === 1, 'the websocket bind');
    // Written in one turn: 40 critical results (≥ 6.5 mmol/L), 40 frames, every one numbered "0" with its
    // full resource, sent together.
    const burst = Array.from({ length: 40 }, (_, i) =>
      ref(server.lab.create(potassium(6.5 + i / 100, `Patient/p-${i}`))),
    );
    const corrected = burst[20] ?? '';
    server.lab.update(corrected, potassium(7.9, 'Patient/p-20'));
    await until(() => notified.flatMap(alertsCovered).length === 40, 'forty criticals notified');
    await until(
      () => alertsFor(store, corrected)[0]?.headline.includes('7.9') === true,
      'the corrected value',
    );
    await monitor.idle();
    expect(burst.map((focus) => alertsFor(store, focus).length)).toEqual(burst.map(() => 1));
    // Each once: on its own, or counted in one notification for those that arrived together.
    expect(new Set(notified.flatMap(alertsCovered)).size).toBe(40);
    expect(notified.flatMap(alertsCovered)).toHaveLength(40);
  });

  it('a dropped socket: the subscription the server deleted is re-created and what was written meanwhile recovered, once', async () => {
    const server = await peer();
    const { store, monitor, notified } = nurse(server.base, storePath());
    await monitor.start();
    await until(() => server.boundSubscriptions().length === 1, 'the websocket bind');
    const first = server.boundSubscriptions()[0];
    const c1 = ref(server.lab.create(potassium()));
    await until(() => notified.length === 1, 'the first notification');

    server.dropSockets(); // the server deletes the subscription with its socket
    const c2 = ref(server.lab.create(potassium(7.1, 'Patient/p-2')));
    const c3 = ref(server.lab.create(potassium(6.9, 'Patient/p-3')));
    await until(
      () => alertsFor(store, c2).length === 1 && alertsFor(store, c3).length === 1,
      'c2 and c3 recovered',
    );
    await until(() => notified.length === 3, 'their notifications');
    await monitor.idle();

    expect([c1, c2, c3].map((focus) => alertsFor(store, focus).length)).toEqual([1, 1, 1]);
    expect(new Set(notified.map((n) => n.alertId)).size).toBe(3);
    expect(server.boundSubscriptions()).toHaveLength(1);
    expect(server.boundSubscriptions()[0]).not.toBe(first);
    expect(store.facts.serverFacts(server.base)).toMatchObject({ survivesSocket: false, tokenMethod: 'GET' });
  });

  it('a restart: earlier alerts kept, nothing re-notified, what was written while down recovered; never older than the sign-in', async () => {
    const server = await peer();
    const before = ref(server.lab.create(potassium(7.5, 'Patient/p-0'))); // before anyone signed in
    const path = storePath();
    const notified: AlertNotification[] = [];
    const run1 = nurse(server.base, path, notified);
    await run1.monitor.start();
    await until(() => server.boundSubscriptions().length === 1, 'the websocket bind');
    const c1 = ref(server.lab.create(potassium()));
    await until(() => notified.length === 1, 'the first notification');
    await run1.monitor.idle();
    await run1.close(); // the socket closes: the server deletes the subscription

    const c2 = ref(server.lab.create(potassium(7.2, 'Patient/p-2')));
    const run2 = nurse(server.base, path, notified);
    await run2.monitor.start();
    await until(() => alertsFor(run2.store, c2).length === 1, 'c2 recovered');
    await until(() => notified.length === 2, 'its notification');
    await run2.monitor.idle();

    expect(alertsFor(run2.store, c1)).toHaveLength(1); // not erased with the old subscription
    expect(alertsFor(run2.store, before)).toHaveLength(0);
    expect(notified.map((n) => n.alertId)).toEqual([
      alertsFor(run2.store, c1)[0]?.id,
      alertsFor(run2.store, c2)[0]?.id,
    ]);
  });

  it('an updated result is the same alert with the new value; a deleted one says it was withdrawn and its notification goes', async () => {
    const server = await peer();
    const { store, monitor, notified, withdrawn } = nurse(server.base, storePath());
    await monitor.start();
    await until(() => server.boundSubscriptions().length === 1, 'the websocket bind');
    const c1 = ref(server.lab.create(potassium(6.8)));
    await until(() => notified.length === 1, 'the notification');

    server.lab.update(c1, potassium(7.4));
    await until(() => alertsFor(store, c1)[0]?.headline.includes('7.4') === true, 'the new value');
    await monitor.idle();
    expect(alertsFor(store, c1)).toHaveLength(1);
    expect(notified).toHaveLength(1); // already delivered: the new value is shown, not announced again

    server.lab.delete(c1); // notified with the last version, unchanged
    await until(() => alertsFor(store, c1)[0]?.headline.startsWith('Withdrawn') === true, 'the withdrawal');
    await monitor.idle();
    const [alert] = alertsFor(store, c1);
    expect(alertsFor(store, c1)).toHaveLength(1);
    expect(alert).toMatchObject({ state: 'resolved', fetch: 'ok' });
    expect(alert?.lifecycle?.pinned).toBe(false);
    expect(alert?.reason).toMatch(/deleted at the source; was: Potassium 7\.4 mmol\/L/);
    const actions = store.alerts.auditRows(undefined, undefined).filter((r) => r.alert_id === alert?.id);
    expect(actions.map((r) => r.action)).toEqual(['notified', 'result-revised', 'result-withdrawn']);
    // The lock screen no longer asks about a result the laboratory took back.
    expect(withdrawn).toEqual([alert?.id]);
  });

  it('a result marked entered-in-error is withdrawn too, with its notification', async () => {
    const server = await peer();
    const { store, monitor, notified, withdrawn } = nurse(server.base, storePath());
    await monitor.start();
    await until(() => server.boundSubscriptions().length === 1, 'the websocket bind');
    const c1 = ref(server.lab.create(potassium()));
    await until(() => notified.length === 1, 'the notification');
    server.lab.update(c1, { ...potassium(), status: 'entered-in-error' });
    await until(() => alertsFor(store, c1)[0]?.headline.startsWith('Withdrawn') === true, 'the withdrawal');
    expect(alertsFor(store, c1)[0]?.reason).toMatch(/now entered-in-error/);
    await until(() => withdrawn.length > 0 || null, 'the notification withdrawn');
    expect(withdrawn).toEqual([alertsFor(store, c1)[0]?.id]);
  });
});
