// The monitor pipeline against the real embedded server over real loopback SSE, with real SQLite files
// on both sides. Only the notifier is a recorder: these tests are about what gets notified, once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsCovered } from '../../../../src-main/core/alerting/notification-text.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor, type Monitor } from '../../../../src-main/core/monitor/monitor.ts';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import { CRITICAL_LAB_TOPIC, ENCOUNTER_ADMIT_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import type { HostEvent } from '../../../../src-main/shared/api.ts';
import { DEFAULT_SCOPES } from '../../../../src-main/core/auth/index.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { until } from '../../../support/until.ts';
import { freePort } from '../../../support/free-port.ts';
import { issuedSession } from '../../../support/issued-session.ts';

const rules = createRulesHolder(
  join(import.meta.dirname, '../../../../resources/rules/critical-values.json'),
);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function launchServer(
  dbPath: string,
  port: number,
  accessTokenTtlSeconds?: number,
): Promise<RunningServer> {
  const server = await startServer({
    port,
    dbPath,
    simulate: { autoStart: false },
    heartbeatSeconds: 5,
    ...(accessTokenTtlSeconds ? { accessTokenTtlSeconds } : {}),
  });
  cleanups.push(() => server.close().catch(() => undefined));
  return server;
}

interface Harness {
  monitor: Monitor;
  store: ClientStore;
  notified: AlertNotification[];
  events: HostEvent[];
  session: ReturnType<typeof issuedSession>;
}

async function startMonitor(
  server: RunningServer,
  storePath: string,
  userId = 'nurse-a',
  topics = [CRITICAL_LAB_TOPIC],
  channel: 'sse' | 'websocket' = 'sse',
  privacyMode: () => boolean = () => false,
  scopes = DEFAULT_SCOPES.nurse,
): Promise<Harness> {
  const store = openClientStore(storePath);
  const session = issuedSession(server, userId, scopes);
  const notified: AlertNotification[] = [];
  const events: HostEvent[] = [];
  const monitor = createMonitor({
    store,
    session,
    notifier: { notify: async (n) => void notified.push(n) },
    topics: topics.map((topic) => ({ topic, filters: [], heartbeatSeconds: 5, channel })),
    emit: (e) => events.push(e),
    onHealthChange: () => undefined,
    logger: silentLogger(),
    gapGraceMs: 200,
    privacyMode,
    rules,
    channelBackoff: { baseMs: 100, capMs: 1000 },
  });
  await monitor.start();
  cleanups.push(async () => {
    await monitor.stop();
    store.close();
  });
  return { monitor, store, notified, events, session };
}

const waitLive = (h: Harness) => until(() => h.monitor.health()[0]?.connection === 'live', 'a live stream');

/** A server and a first, live monitor on a store a restart can resume from, with `criticals` Ward A criticals written. */
async function firstRun(criticals: number, channel: 'sse' | 'websocket' = 'sse') {
  const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
  const server = await launchServer(join(dir, 'server.sqlite'), 0);
  const clientPath = join(dir, 'client.sqlite');
  const first = await startMonitor(server, clientPath, 'nurse-a', [CRITICAL_LAB_TOPIC], channel);
  await waitLive(first);
  for (let i = 0; i < criticals; i += 1) server.simulator?.emitCriticalPotassium('ward-a');
  return { server, clientPath, first };
}

/** The workstation goes down: its monitor stops and its store closes. */
async function shutDown(h: Harness): Promise<void> {
  await h.monitor.stop();
  h.store.close();
}

describe('monitor pipeline', () => {
  it('commits, fetches, classifies and notifies a critical potassium once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const server = await launchServer(join(dir, 'server.sqlite'), 0);
    const h = await startMonitor(server, join(dir, 'client.sqlite'));
    await waitLive(h);

    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 1, 'a notification');
    await h.monitor.idle();

    const [alert] = h.store.alerts.list(10);
    expect(alert).toMatchObject({
      tier: 'critical',
      headline: 'Potassium 6.8 mmol/L',
      fetch: 'ok',
      eventNumber: '1',
    });
    expect(alert?.patient?.name).toMatch(/\p{L}+ \p{L}+/u);
    expect(alert?.reason).toContain('HH');
    expect(h.notified[0]?.title).toBe('CRITICAL: Potassium 6.8 mmol/L');
    expect(h.notified[0]?.body).toContain(alert?.patient?.name ?? '???');
    expect(h.events.some((e) => e.type === 'alert' && e.alert.tier === 'critical')).toBe(true);
  });

  it('does not deliver another ward’s critical to a ward A nurse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const server = await launchServer(join(dir, 'server.sqlite'), 0);
    const h = await startMonitor(server, join(dir, 'client.sqlite'));
    await waitLive(h);
    server.simulator?.emitCriticalPotassium('ward-b');
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length >= 1, 'the ward A notification');
    await h.monitor.idle();
    // The stream is ordered: had the ward B critical reached this nurse it would have come first, so
    // it would be committed by now, and the ward A one would not be her subscription's first event.
    const alerts = h.store.alerts.list(10);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.eventNumber).toBe('1');
    expect(h.notified).toHaveLength(1);
  });

  it('resumes from its cursor after a restart: nothing lost, nothing notified twice, offline storms summarised', async () => {
    const { server, clientPath, first } = await firstRun(1);
    await until(() => first.notified.length === 1, 'the first notification');
    await first.monitor.idle();
    await shutDown(first);

    // Offline: three criticals arrive while the workstation is down.
    for (let i = 0; i < 3; i += 1) server.simulator?.emitCriticalPotassium('ward-a');

    const second = await startMonitor(server, clientPath);
    await until(() => second.store.alerts.list(10).length === 4, 'the replayed alerts');
    await until(() => second.notified.length === 1, 'the offline summary');
    await second.monitor.idle();
    expect(second.notified[0]?.title).toBe('3 critical results arrived while offline');
    expect(second.store.getCursor(second.store.alerts.list(1)[0]?.subscriptionKey ?? '')).toBe(4);
    const numbers = second.store.alerts.list(10).map((a) => a.eventNumber);
    expect(numbers).toEqual(['4', '3', '2', '1']);
  });

  it('health shows the stored cursor as the last event number after a restart, before anything new arrives', async () => {
    const { server, clientPath, first } = await firstRun(2);
    await until(() => first.store.alerts.list(10).length === 2, 'both alerts');
    await first.monitor.idle();
    expect(first.monitor.health()[0]?.lastEventNumber).toBe('2');
    await shutDown(first);

    // Nothing new: the column must not read "—" beside "2 events since start" as if the cursor were lost.
    const second = await startMonitor(server, clientPath);
    await waitLive(second);
    expect(second.monitor.health()[0]).toMatchObject({
      lastEventNumber: '2',
      eventsSinceSubscriptionStart: '2',
    });
  });

  it('survives the server being killed and restarted: the stream resumes with no event lost or doubled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const serverDb = join(dir, 'server.sqlite');
    const port = await freePort();
    let server = await launchServer(serverDb, port);
    const h = await startMonitor(server, join(dir, 'client.sqlite'));
    await waitLive(h);
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 1, 'the first notification');

    await server.close();
    await until(() => h.monitor.health()[0]?.connection !== 'live', 'the stream to notice the outage');
    server = await launchServer(serverDb, port);
    // The restarted server must issue tokens the client can use: the client refreshes on 401.
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 2, 'the notification after the restart', 40_000).catch(
      (e: unknown) => {
        throw new Error(`${String(e)} ${JSON.stringify(h.monitor.health())}`);
      },
    );
    await h.monitor.idle();
    expect(h.store.alerts.list(10).map((a) => a.eventNumber)).toEqual(['2', '1']);
    expect(h.monitor.health()[0]?.duplicatesDropped).toBe(0);
  }, 60_000);

  it('keeps streaming through short-lived tokens without a refresh/reconnect loop', async () => {
    // 4-second tokens: far shorter than the server's 300 s token-expiring lead, like SMART backend
    // services tokens (≤ 300 s). Each token is warned about once, refreshed once, reconnected once.
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const server = await launchServer(join(dir, 'server.sqlite'), 0, 4);
    const h = await startMonitor(server, join(dir, 'client.sqlite'));
    await waitLive(h);
    // Several token lifetimes, counted in renewals rather than seconds.
    await until(() => h.session.refreshes >= 3, 'three token renewals', 30_000);
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 1, 'a notification after several token lifetimes');
    const health = h.monitor.health()[0];
    expect(h.session.refreshes).toBeGreaterThanOrEqual(2);
    expect(h.session.refreshes).toBeLessThanOrEqual(8);
    expect(health?.reconnects ?? 0).toBeLessThanOrEqual(8);
    expect(health?.connection).toBe('live');
    // No loop, by mechanism: the server warns no sooner than half-way through a token's life, so no
    // token was replaced before 2 s of its 4 (a loop replaces them within milliseconds).
    for (const age of h.session.agesAtRefresh) expect(age).toBeGreaterThanOrEqual(2000 - 100);
  }, 60_000);

  it('reports a topic the server does not offer and still subscribes to the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const server = await launchServer(join(dir, 'server.sqlite'), 0);
    const missing = 'http://example.org/SubscriptionTopic/not-offered';
    const h = await startMonitor(server, join(dir, 'client.sqlite'), 'nurse-a', [
      missing,
      CRITICAL_LAB_TOPIC,
    ]);
    const health = h.monitor.health();
    expect(health.find((e) => e.topic === missing)).toMatchObject({
      connection: 'stopped',
      lastError: `the server does not offer the topic ${missing}`,
    });
    await until(
      () => h.monitor.health().some((e) => e.topic === CRITICAL_LAB_TOPIC && e.connection === 'live'),
      'live',
    );
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 1, 'the critical on the offered topic');
  });

  it('reports a topic the server refuses to subscribe (scopes) and still watches the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const server = await launchServer(join(dir, 'server.sqlite'), 0);
    // Granted results but not encounters: the server refuses the admission topic's subscription (403).
    const scopes = [
      'openid',
      'fhirUser',
      'user/Observation.rs',
      'user/Patient.rs',
      'user/Subscription.cruds',
    ];
    const h = await startMonitor(
      server,
      join(dir, 'client.sqlite'),
      'nurse-a',
      [ENCOUNTER_ADMIT_TOPIC, CRITICAL_LAB_TOPIC],
      'sse',
      () => false,
      scopes,
    );
    expect(h.monitor.health().find((e) => e.topic === ENCOUNTER_ADMIT_TOPIC)).toMatchObject({
      connection: 'stopped',
      lastError: expect.stringMatching(/refused the subscription: 403/),
    });
    await until(
      () => h.monitor.health().some((e) => e.topic === CRITICAL_LAB_TOPIC && e.connection === 'live'),
      'live',
    );
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 1, 'the critical on the topic the server accepted');
  });

  it('delivers over the standard websocket channel and catches up with $events after a restart', async () => {
    const { server, clientPath, first } = await firstRun(1, 'websocket');
    expect(first.monitor.health()[0]?.channel).toBe('websocket');
    await until(() => first.notified.length === 1, 'a notification over the websocket');
    await first.monitor.idle();
    await shutDown(first);

    // Missed while offline: websockets have no Last-Event-ID, so the handshake count drives $events.
    server.simulator?.emitCriticalPotassium('ward-a');
    server.simulator?.emitCriticalPotassium('ward-a');
    const second = await startMonitor(server, clientPath, 'nurse-a', [CRITICAL_LAB_TOPIC], 'websocket');
    await until(() => second.store.alerts.list(10).length === 3, 'the $events catch-up');
    await second.monitor.idle();
    expect(second.store.alerts.list(10).map((a) => a.eventNumber)).toEqual(['3', '2', '1']);
    expect(second.notified).toHaveLength(2); // the two missed criticals, individually (fewer than 3)
  });

  it('a burst over the websocket channel (committed in groups) is stored once each, in order, every critical notified once (alone or counted with those that arrived together)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const server = await launchServer(join(dir, 'server.sqlite'), 0);
    const h = await startMonitor(
      server,
      join(dir, 'client.sqlite'),
      'nurse-a',
      [CRITICAL_LAB_TOPIC],
      'websocket',
    );
    await waitLive(h);
    const burst = 150;
    for (let i = 0; i < burst; i += 1) server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.store.alerts.list(500).length === burst, 'the whole burst stored');
    await h.monitor.idle();
    const numbers = h.store.alerts
      .list(500)
      .map((a) => Number(a.eventNumber))
      .reverse();
    expect(numbers).toEqual(Array.from({ length: burst }, (_, i) => i + 1));
    // Each once: on its own, or counted in one notification for those that arrived together.
    const covered = h.notified.flatMap(alertsCovered);
    expect(new Set(covered).size).toBe(covered.length);
    expect(new Set(covered)).toEqual(new Set(h.store.alerts.list(500).map((a) => a.id)));
    expect(
      h.store.alerts
        .list(500)
        .every((a) => a.lifecycle?.notifyState === 'notified' || a.lifecycle?.notifyState === 'summarised'),
    ).toBe(true);
  });

  // Sign-out used to turn the server-side subscription `off`, so nothing was watched until the next
  // sign-in. Now the streams close and the subscription stays active: what arrives meanwhile is kept on
  // the server and caught up, as one summary, when the user returns.
  it('keeps its subscription active through a sign-out and catches up what arrived meanwhile, summarised', async () => {
    const { server, clientPath, first } = await firstRun(1);
    await until(() => first.notified.length === 1, 'the first notification');
    await first.monitor.idle();
    await first.monitor.stop();
    const remoteId = first.store.alerts.list(1)[0]?.subscriptionKey.split('|')[1] ?? '';
    first.store.close();

    const token = server.auth.issueToken({
      userId: 'nurse-a',
      clientId: DEMO_CLIENT_ID,
      scopes: DEFAULT_SCOPES.nurse,
    });
    const read = async () =>
      (await (
        await fetch(`${server.fhirBase}/Subscription/${remoteId}`, {
          headers: { Authorization: `Bearer ${token.accessToken}` },
        })
      ).json()) as {
        status: string;
      };
    expect((await read()).status).toBe('active');
    // While signed out: still collected for this subscription on the server.
    for (let i = 0; i < 3; i += 1) server.simulator?.emitCriticalPotassium('ward-a');

    const second = await startMonitor(server, clientPath);
    await waitLive(second);
    await until(() => second.store.alerts.list(10).length === 4, 'the catch-up of what arrived meanwhile');
    await second.monitor.idle();
    expect(second.store.alerts.list(10).map((a) => a.eventNumber)).toEqual(['4', '3', '2', '1']);
    expect(second.notified).toEqual([expect.objectContaining({ kind: 'summary', alertId: null })]);
  });

  it('applies a privacy-mode change to the next notification: test and bed, no value, no name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-'));
    const server = await launchServer(join(dir, 'server.sqlite'), 0);
    let privacy = false;
    const h = await startMonitor(
      server,
      join(dir, 'client.sqlite'),
      'nurse-a',
      [CRITICAL_LAB_TOPIC],
      'sse',
      () => privacy,
    );
    await waitLive(h);
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 1, 'the first notification');
    privacy = true;
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => h.notified.length === 2, 'the private notification');
    await h.monitor.idle();
    const name = h.store.alerts.list(1)[0]?.patient?.name ?? '???';
    expect(h.notified[0]?.body).toContain(name);
    const bed = h.store.alerts.list(1)[0]?.location ?? '???';
    expect(h.notified[1]).toMatchObject({
      title: 'Critical result: Potassium',
      body: `${bed} — Open Alert Monitor to review.`,
    });
    expect(JSON.stringify(h.notified[1])).not.toMatch(/6\.8|PT-\d/);
    expect(JSON.stringify(h.notified[1])).not.toContain(name);
  });
});
