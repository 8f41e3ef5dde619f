// A loopback stand-in for Medplum, the independent FHIR server the client is tested against for real by
// `npm run interop:medplum` (Postgres and Redis cannot run in `npm test`). It reproduces only what was
// OBSERVED on the wire from Medplum 5.0.10 (commit 6a4145c) running on this project's build machine on
// 2026-11-30, as listed in docs/interop.md; where Medplum's behaviour was not observed, the peer does
// not guess. A named test double for a server that cannot run here, not a mock of our own server:
//   sign-in    medplum-peer/auth.ts       (ES256 ID tokens, exact redirect URIs, POST /auth/login)
//   REST       medplum-peer/fhir.ts       (no topics, meta.profile → 403, websocket subs not searchable,
//                                          binding token GET only, 410 after delete, _lastUpdated,
//                                          UUID ids only, conditional create with If-None-Exist)
//   websocket  medplum-peer/websocket.ts  (JSON bind only, handshake, heartbeats, eventNumber "0",
//                                          closing a socket deletes its subscriptions)
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src-main/core/log.ts';
import { createMonitor, type Monitor } from '../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../src-main/core/monitor/topics.ts';
import type { AlertNotification, TopicRequest } from '../../src-main/core/ports.ts';
import { openClientStore, type ClientStore } from '../../src-main/core/store/client-store.ts';
import { handleAuth, newSigningKey } from './medplum-peer/auth.ts';
import { handleFhir, outcome, writeResource } from './medplum-peer/fhir.ts';
import { newState, type Json, type PeerClient, type PeerUser } from './medplum-peer/state.ts';
import { attachWebsockets } from './medplum-peer/websocket.ts';

export type { PeerClient, PeerUser } from './medplum-peer/state.ts';

/** A bearer token the peer accepts without a sign-in, for tests that do not sign in. */
export const TOKEN = 'peer-token';
/** Who the lab is: it writes the results the tests watch for. */
export const LAB = 'Practitioner/lab-1';

export interface PeerOptions {
  /** Heartbeat period of the server-wide timer (Medplum: 10 s). */
  heartbeatMs?: number;
  users?: PeerUser[];
  clients?: PeerClient[];
}

export interface FhirPeer {
  origin: string;
  /** The FHIR base, `<origin>/fhir/R4` as on Medplum. */
  base: string;
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }>;
  /** Write as the lab: a create, an update (new version) or a delete, each evaluated by subscriptions. */
  lab: {
    create(resource: Json): Json;
    update(reference: string, resource: Json): Json;
    delete(reference: string): void;
    /** Notify the current version again, unchanged (as Medplum does for a delete, or a repeat). */
    renotify(reference: string): void;
  };
  /** Send any frame to every socket with a bound subscription. */
  broadcast(frame: unknown): void;
  /** Drop every websocket from the server side (the network failed). */
  dropSockets(): void;
  /** Subscription ids bound to an open socket. */
  boundSubscriptions(): string[];
  /** Every Subscription the peer holds, cache-only (websocket) ones included. */
  subscriptions(): Json[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFhirPeer(options: PeerOptions = {}): Promise<FhirPeer> {
  const state = newState(options.users ?? [], options.clients ?? [], TOKEN);
  const key = await newSigningKey();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', state.origin);
      const body = await readBody(req);
      state.requests.push({
        method: req.method ?? '',
        path: url.pathname + url.search,
        headers: req.headers,
        body,
      });
      if (await handleAuth(state, key, req, url, body, res)) return;
      if (url.pathname.startsWith(new URL(state.fhirBase).pathname)) {
        await handleFhir(state, key, req, url, body, res, (resource) => sockets.notify(resource));
        return;
      }
      res
        .writeHead(404, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(outcome('not-found', 'Not found')));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.fhirBase = `${state.origin}/fhir/R4`;
  const sockets = attachWebsockets(server, state, options.heartbeatMs ?? 10_000);

  const stored = (reference: string) => {
    const found = state.resources.get(reference);
    if (!found || found.deleted) throw new Error(`the peer has no ${reference}`);
    return found;
  };
  return {
    origin: state.origin,
    base: state.fhirBase,
    requests: state.requests,
    lab: {
      create: (resource) => {
        const created = writeResource(state, resource, LAB);
        sockets.notify(created);
        return created;
      },
      update: (reference, resource) => {
        stored(reference);
        const updated = writeResource(state, resource, LAB, reference.split('/')[1] ?? '');
        sockets.notify(updated);
        return updated;
      },
      delete: (reference) => {
        const found = stored(reference);
        found.deleted = true;
        sockets.notify(found.current);
      },
      renotify: (reference) => sockets.notify(stored(reference).current),
    },
    broadcast: (frame) => sockets.broadcast(frame),
    dropSockets: () => sockets.dropAll(),
    boundSubscriptions: () => sockets.bound(),
    subscriptions: () => [...state.subscriptions.values()].map((s) => s.resource),
    close: () =>
      new Promise<void>((resolve) => {
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An event-notification Bundle as Medplum writes it, for frames a test sends itself. */
export function eventBundle(subscriptionId: string, focus: string, resource?: Json): Json {
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: [
      {
        resource: {
          resourceType: 'SubscriptionStatus',
          status: 'active',
          type: 'event-notification',
          subscription: { reference: `Subscription/${subscriptionId}` },
          notificationEvent: [
            { eventNumber: '0', timestamp: new Date().toISOString(), focus: { reference: focus } },
          ],
        },
      },
      ...(resource ? [{ resource, fullUrl: focus }] : []),
    ],
  };
}

/** A potassium result; critical (HH, 6.8 mmol/L) unless another value is given. */
export const potassium = (value = 6.8, patient = 'Patient/p-1'): Json => ({
  resourceType: 'Observation',
  status: 'final',
  category: [
    {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }],
    },
  ],
  code: {
    coding: [
      { system: 'http://loinc.org', code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma' },
    ],
    text: 'Potassium',
  },
  subject: { reference: patient },
  valueQuantity: { value, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  ...(value >= 6.2
    ? {
        interpretation: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'HH' },
            ],
          },
        ],
      }
    : {}),
});

export interface PeerMonitor {
  store: ClientStore;
  monitor: Monitor;
  /** The recording notifier: the test double for the OS notification daemon. */
  notified: AlertNotification[];
}

/** A monitor watching the peer's critical results (as a nurse would), with its cleanup registered. */
export function monitorFor(
  cleanups: Array<() => Promise<void> | void>,
  base: string,
  storePath: string,
  reconcileQuery?: string,
  topic: Partial<TopicRequest> = {},
): PeerMonitor {
  const store = openClientStore(storePath);
  const notified: AlertNotification[] = [];
  const monitor = createMonitor({
    store,
    session: {
      fhirBase: base,
      fhirUser: 'Practitioner/nurse-1',
      accessToken: async () => TOKEN,
      refreshNow: async () => undefined,
      tokenExpiresAt: () => null,
    },
    notifier: { notify: async (n) => void notified.push(n) },
    topics: [
      {
        topic: CRITICAL_LAB_TOPIC,
        filters: [],
        heartbeatSeconds: 10,
        ...(reconcileQuery ? { reconcileQuery } : {}),
        ...topic,
      },
    ],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
    channelBackoff: { baseMs: 20, capMs: 200 },
  });
  cleanups.push(async () => {
    await monitor.stop();
    store.close();
  });
  return { store, monitor, notified };
}
