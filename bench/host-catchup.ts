// A catch-up through the whole service (src-main/core/service.ts), as a host runs it: the monitor, the
// access policy and every push to the page. A real embedded server (child process) holds the missed
// events; nurse-a signs in, receives one critical, signs out; her subscription (kept active on the
// server) misses 100,000 critical results, each about its own Observation; she signs in again.
// Printed: time from that sign-in to every alert classified in the store (polled every 100 ms), and what the service pushed
// to the page meanwhile (alert events, feed-changed events, bytes). The baseline in the same run: a bare
// HTTP search of the same 100,000 results (`_id` lists of 100, bodies read).
//
//   npm run bench:host:catchup -- [--events=100000] [--budget-ms=120000]
//
// Sign-in is a session built from a token the server issues (the service's `signIn` hook): the SMART
// flow itself is not what is measured here (`npm run bench:start` measures a cold start with it).
import { join } from 'node:path';
import { DEMO_CLIENT_ID } from '../src-main/server/demo-users.ts';
import { silentLogger } from '../src-main/core/log.ts';
import { topicsForRole } from '../src-main/core/monitor/topics.ts';
import { createMonitorService, type MonitorService } from '../src-main/core/service.ts';
import type { SignedInSession } from '../src-main/core/service-types.ts';
import type { HostEvent, SessionState } from '../src-main/shared/api.ts';
import {
  commandLine,
  machine,
  machineState,
  now,
  numberArg,
  out,
  startServerChild,
  type ServerChild,
} from './client-lib.ts';
import { bareHttpSearch } from './replay-baselines.ts';
import { until } from '../test/support/until.ts';

const MISSED = numberArg('events', 100_000);
const BUDGET_MS = numberArg('budget-ms', 120_000);

/** nurse-a's session from a server-issued token; sign-out ends it. */
async function sessionFrom(server: ServerChild): Promise<SignedInSession> {
  const token = (await server.call({ cmd: 'token' })).token ?? '';
  const listeners = new Set<(state: { state: 'signed-in' | 'signed-out'; reason: string | null }) => void>();
  return {
    fhirBase: server.fhirBase,
    fhirUser: 'Practitioner/nurse-a',
    accessToken: async () => token,
    refreshNow: async () => undefined,
    tokenExpiresAt: () => Date.now() + 3 * 3600_000,
    needPatientBanner: false,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    signOut: async () => {
      for (const listener of listeners) listener({ state: 'signed-out', reason: null });
    },
  };
}

const sessionIs = (service: MonitorService, state: SessionState) =>
  until(async () => (await service.handlers.getSession({})).state === state, state, 30_000);

const allLive = (service: MonitorService) =>
  until(
    async () => {
      const { subscriptions } = await service.handlers.getHealth({});
      return subscriptions.length > 0 && subscriptions.every((s) => s.connection === 'live');
    },
    'live subscriptions',
    30_000,
  );

/**
 * Every missed alert stored and classified. Polled every 100 ms (the figure's resolution), and cheaply:
 * the alerts still waiting for their read come from a small partial index; the whole table is counted
 * only once none wait, so the bench adds little to the thread it measures.
 */
function allClassified(service: MonitorService): boolean {
  const db = service.store.db;
  const pending =
    db.prepare<[], { n: number }>("SELECT count(*) AS n FROM alerts WHERE fetch_status = 'pending'").get()
      ?.n ?? 1;
  if (pending > 0) return false;
  const stored = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM alerts').get()?.n ?? 0;
  return stored >= MISSED + 1;
}

async function main(): Promise<void> {
  out(`# host catch-up (service, monitor, access policy, pushes) — ${machine()}`);
  out(`command: ${commandLine('bench:host:catchup')}`);
  const server = await startServerChild();
  try {
    const service = createMonitorService({
      dataDir: join(server.dir, 'host'),
      host: { kind: 'browser', version: 'bench', osNotifications: false },
      notifier: { notify: async () => undefined },
      logger: silentLogger(),
      defaultServer: { fhirBase: server.fhirBase, name: 'bench', clientId: DEMO_CLIENT_ID },
      signIn: () => sessionFrom(server),
      topicsFor: (_session, chosen) => topicsForRole(chosen.role),
    });
    let alertPushes = 0;
    let feedChanged = 0;
    let pushedBytes = 0;
    service.onEvent((event: HostEvent) => {
      if (event.type === 'alert') alertPushes += 1;
      if (event.type === 'feed-changed') feedChanged += 1;
      pushedBytes += JSON.stringify(event).length;
    });

    await service.handlers.signIn({ role: 'nurse' });
    await sessionIs(service, 'signed-in');
    await allLive(service);
    await server.call({ cmd: 'emit', count: 1 });
    const first = await until(() => service.store.alerts.list(1)[0], 'the first live critical', 30_000);
    await service.handlers.signOut({});
    await sessionIs(service, 'signed-out');

    const remoteId = first.subscriptionKey.slice(first.subscriptionKey.lastIndexOf('|') + 1);
    const seeded = await server.call({ cmd: 'seed-distinct', subscriptionId: remoteId, total: MISSED + 1 });
    out(
      `server log: ${seeded.count?.toLocaleString('en-US')} events on nurse-a's subscription while she was signed out ` +
        `(copied in ${seeded.ms?.toFixed(0)} ms; not timed); each about its own critical result`,
    );
    out(`machine state: ${machineState()}`);
    const focusId = first.focus.slice(first.focus.indexOf('/') + 1);
    const ids = Array.from({ length: MISSED }, (_, i) => `${focusId}-${i + 2}`);
    const token = (await server.call({ cmd: 'token' })).token ?? '';
    const searched = await bareHttpSearch(server.fhirBase, token, 'Observation', ids, 100);
    out(
      `baseline: bare HTTP search of the same results (Observation?_id=<100 ids>, bodies read): ${searched.toFixed(0)} ms`,
    );

    alertPushes = 0;
    feedChanged = 0;
    pushedBytes = 0;
    const t0 = now();
    await service.handlers.signIn({ role: 'nurse' });
    await sessionIs(service, 'signed-in');
    const done = await until(
      () => allClassified(service),
      'every missed alert classified',
      BUDGET_MS,
      100,
    ).then(
      () => true,
      (error: unknown) => {
        out(`  (${String(error)})`);
        return false;
      },
    );
    const ms = now() - t0;
    const page = await service.handlers.listAlerts({ limit: 100 });
    await service.close();
    out(
      `host: ${MISSED.toLocaleString('en-US')} missed alerts classified ${ms.toFixed(0)} ms after sign-in${done ? '' : ' (INCOMPLETE)'}; ` +
        `pushed to the page meanwhile: ${alertPushes.toLocaleString('en-US')} alert events, ${feedChanged} feed-changed, ` +
        `${(pushedBytes / 1024 / 1024).toFixed(1)} MiB; the feed's first page then: ${page.length} alerts`,
    );
    out(`ratio: host catch-up / bare search = ${(ms / searched).toFixed(1)}×`);
    out(`machine state after: ${machineState()}`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
