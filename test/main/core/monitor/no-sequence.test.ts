// A server without usable event numbers. Medplum (fhir-subscriptions.md §6.3) sends eventNumber "0" for
// every event, R4B-style SubscriptionStatus inside R4, and has no $events. Medplum cannot run here, so
// this loopback peer reproduces its wire behaviour (a named stand-in, not a mock of our own server).
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor, type AlertNotification } from '../../../../src-main/core/monitor/monitor.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';

const TOPIC = 'http://example.org/SubscriptionTopic/critical-lab';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const observation = (id: string, lastUpdated: string) => ({
  resourceType: 'Observation',
  id,
  meta: { versionId: '1', lastUpdated },
  status: 'final',
  category: [
    {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }],
    },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }], text: 'Potassium' },
  valueQuantity: { value: 6.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  interpretation: [
    {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'HH' }],
    },
  ],
});

function statusBundle(base: string, type: string, focus?: string, timestamp?: string) {
  return {
    resourceType: 'Bundle',
    type: 'history',
    entry: [
      {
        resource: {
          resourceType: 'SubscriptionStatus',
          status: 'active',
          type,
          subscription: { reference: `${base}/Subscription/sub-1` },
          ...(focus
            ? { notificationEvent: [{ eventNumber: '0', timestamp, focus: { reference: focus } }] }
            : {}),
        },
      },
    ],
  };
}

async function medplumLikePeer(): Promise<{
  base: string;
  server: Server;
  pushes: Array<(r: ServerResponse) => void>;
}> {
  const times = {
    o1: '2026-11-22T10:00:01.000Z',
    o2: '2026-11-22T10:00:02.000Z',
    o3: '2026-11-22T10:00:03.000Z',
  };
  const pushes: Array<(r: ServerResponse) => void> = [];
  let base = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== 'Bearer peer-token')
      return json(401, { resourceType: 'OperationOutcome' });
    if (req.method === 'POST' && url.pathname === '/fhir/Subscription') {
      return json(201, {
        resourceType: 'Subscription',
        id: 'sub-1',
        status: 'active',
        criteria: TOPIC,
        channel: { endpoint: `${base}/Subscription/sub-1/$sse` },
      });
    }
    if (url.pathname === '/fhir/Subscription/sub-1/$sse') {
      // Every connection: a handshake, then o1 and o2 with eventNumber "0", and o1 again (a duplicate).
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const send = (event: string, body: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(body)}\n\n`);
      send('handshake', statusBundle(base, 'handshake'));
      send(
        'event-notification',
        statusBundle(base, 'event-notification', `${base}/Observation/o1`, times.o1),
      );
      send(
        'event-notification',
        statusBundle(base, 'event-notification', `${base}/Observation/o2`, times.o2),
      );
      send(
        'event-notification',
        statusBundle(base, 'event-notification', `${base}/Observation/o1`, times.o1),
      );
      pushes.push((r) => r.end());
      return;
    }
    const read = /^\/fhir\/Observation\/(o\d)$/.exec(url.pathname);
    if (read?.[1]) return json(200, observation(read[1], times[read[1] as keyof typeof times]));
    if (url.pathname === '/fhir/Observation' && url.searchParams.has('_lastUpdated')) {
      // o3 was never notified: only the reconciliation query finds it.
      return json(200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: ['o1', 'o2', 'o3'].map((id) => ({
          resource: observation(id, times[id as keyof typeof times]),
        })),
      });
    }
    return json(404, { resourceType: 'OperationOutcome' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/fhir`;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { base, server, pushes };
}

describe('servers without usable event numbers', () => {
  it('switches to no-sequence mode, de-duplicates by resource and reconciles by query', async () => {
    const peer = await medplumLikePeer();
    const store = openClientStore(join(mkdtempSync(join(tmpdir(), 'noseq-')), 'client.sqlite'));
    const notified: AlertNotification[] = [];
    const monitor = createMonitor({
      store,
      session: {
        fhirBase: peer.base,
        fhirUser: null,
        accessToken: async () => 'peer-token',
        refreshNow: async () => undefined,
        tokenExpiresAt: () => null,
      },
      notifier: { notify: async (n) => void notified.push(n) },
      topics: [
        {
          topic: TOPIC,
          filters: [],
          heartbeatSeconds: 10,
          reconcileQuery: 'Observation?category=laboratory',
        },
      ],
      emit: () => undefined,
      onHealthChange: () => undefined,
      logger: silentLogger(),
    });
    cleanups.push(async () => {
      await monitor.stop();
      store.close();
    });
    await monitor.start();
    const deadline = Date.now() + 8000;
    while (store.listAlerts(10).length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await monitor.idle();

    const alerts = store.listAlerts(10);
    expect(alerts.map((a) => a.focus).sort()).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3']);
    expect(alerts.every((a) => a.tier === 'critical')).toBe(true);
    const health = monitor.health()[0];
    expect(health?.duplicatesDropped).toBeGreaterThanOrEqual(1);
    expect(health?.lastError).toMatch(/no usable event numbers \(event number 0\)/);
    expect(store.getSubscription(alerts[0]?.subscriptionKey ?? '')?.sequenceMode).toBe('no-sequence');
  });
});
