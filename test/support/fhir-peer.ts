// A minimal loopback FHIR server for tests of how the client copes with servers that are not ours
// (Medplum-style numbering, foreign references). It serves a Subscription create, one SSE stream of
// given frames, reads and searches from a fixed map, and records every request it gets. A named
// stand-in for servers that cannot run here, not a mock of our own embedded server.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { silentLogger } from '../../src-main/core/log.ts';
import { createMonitor } from '../../src-main/core/monitor/monitor.ts';
import type { AlertNotification } from '../../src-main/core/ports.ts';
import { openClientStore } from '../../src-main/core/store/client-store.ts';

export const TOKEN = 'peer-token';
export const PEER_TOPIC = 'http://example.org/SubscriptionTopic/critical-lab';

export interface PeerFrame {
  event: string;
  data: unknown;
}

export interface FhirPeer {
  base: string;
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export interface PeerOptions {
  token: string;
  topic: string;
  /** Frames sent on every stream connection, given the peer's FHIR base. */
  frames(base: string): PeerFrame[];
  /** `Type/id` -> resource, and `Type?…` (matched on the path before `?`) -> searchset entries. */
  resources?: Record<string, unknown>;
  searches?: Record<string, unknown[]>;
}

export async function startFhirPeer(options: PeerOptions): Promise<FhirPeer> {
  const requests: FhirPeer['requests'] = [];
  let base = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://peer');
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return json(401, { resourceType: 'OperationOutcome' });
    const path = url.pathname.replace(/^\/fhir\//, '');
    if (req.method === 'POST' && path === 'Subscription') {
      return json(201, {
        resourceType: 'Subscription',
        id: 'sub-1',
        status: 'active',
        criteria: options.topic,
        channel: { endpoint: `${base}/Subscription/sub-1/$sse` },
      });
    }
    if (path === 'Subscription/sub-1/$sse') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const frame of options.frames(base))
        res.write(`event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`);
      return; // left open, like a live stream
    }
    const search = options.searches?.[path];
    if (search && url.search)
      return json(200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: search.map((resource) => ({ resource })),
      });
    const resource = options.resources?.[path];
    if (resource) return json(200, resource);
    return json(404, { resourceType: 'OperationOutcome' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/fhir`;
  return {
    base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An R4B-style SubscriptionStatus notification bundle (as Medplum sends inside R4). */
export function statusBundle(
  base: string,
  type: string,
  events: Array<{ eventNumber: string; focus: string; timestamp?: string }> = [],
) {
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
          ...(events.length > 0
            ? {
                notificationEvent: events.map((e) => ({
                  eventNumber: e.eventNumber,
                  timestamp: e.timestamp,
                  focus: { reference: e.focus },
                })),
              }
            : {}),
        },
      },
    ],
  };
}

export const criticalPotassium = (id: string, lastUpdated: string) => ({
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

/** A monitor against a peer, with its cleanup registered in `cleanups`. */
export function monitorFor(
  cleanups: Array<() => Promise<void> | void>,
  base: string,
  storePath: string,
  reconcileQuery?: string,
) {
  const store = openClientStore(storePath);
  const notified: AlertNotification[] = [];
  const monitor = createMonitor({
    store,
    session: {
      fhirBase: base,
      fhirUser: null,
      accessToken: async () => TOKEN,
      refreshNow: async () => undefined,
      tokenExpiresAt: () => null,
    },
    notifier: { notify: async (n) => void notified.push(n) },
    topics: [
      { topic: PEER_TOPIC, filters: [], heartbeatSeconds: 10, ...(reconcileQuery ? { reconcileQuery } : {}) },
    ],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
  });
  cleanups.push(async () => {
    await monitor.stop();
    store.close();
  });
  return { store, monitor, notified };
}
