// The MonitorApi implementation over the real local-demo composition (embedded server, SMART sign-in).
// The host's `openUrl` hook plays the user's browser: it drives the demo sign-in page with fetch and
// follows the redirect back to the app's loopback listener.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../src-main/core/auth/index.ts';
import { createLogger, silentLogger } from '../../../src-main/core/log.ts';
import { topicsForRole } from '../../../src-main/core/monitor/topics.ts';
import { createMonitorService, type MonitorService } from '../../../src-main/core/service.ts';
import { createSmartSignIn, type SmartSignIn } from '../../../src-main/app/sign-in.ts';
import { startLocalDemo, type LocalDemo } from '../../../src-main/local/local-demo.ts';
import type { AlertSummary, HostEvent, SessionInfo } from '../../../src-main/shared/api.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BURST_ALERTS } from '../../../src-main/core/workstation/alert-pushes.ts';
import { until } from '../../support/until.ts';
import { driveSignIn } from '../server/auth/helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function demoFor(secrets?: MemorySecretStore): Promise<LocalDemo & { auth: SmartSignIn }> {
  const dir = mkdtempSync(join(tmpdir(), 'service-'));
  const logger = process.env['DEBUG_SERVICE_TEST'] ? createLogger('t', 'debug') : silentLogger();
  const demo = await startLocalDemo({ dataDir: dir, logger, simulationRate: 0 });
  cleanups.push(() => demo.close());
  return { ...demo, auth: createSmartSignIn({ logger, ...(secrets ? { secretStore: secrets } : {}) }) };
}

function serviceFor(
  demo: LocalDemo & { auth: SmartSignIn },
  dataDir: string,
  opened: string[] = [],
): MonitorService {
  const service = createMonitorService({
    dataDir,
    host: { kind: 'browser', version: 'test', osNotifications: false },
    notifier: { notify: async () => undefined },
    logger: silentLogger(),
    defaultServer: demo.choice,
    signIn: (server, context) => demo.auth.signIn(server, context),
    resume: (server) => demo.auth.resume(server),
    openUrl: async (url) => {
      opened.push(url);
      await fetch(await driveSignIn(url, { user: 'nurse-a' }));
    },
    topicsFor: (_session, server) => topicsForRole(server.role),
  });
  cleanups.push(() => service.close());
  return service;
}

async function sessionBecomes(service: MonitorService, state: SessionInfo['state']): Promise<SessionInfo> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const info = await service.handlers.getSession({});
    if (info.state === state) return info;
    if (Date.now() > deadline) throw new Error(`session stayed ${info.state} (${info.reason ?? ''})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A service on a fresh demo with nurse-a signed in, and every event it pushes from then on. */
async function signedInNurse() {
  const demo = await demoFor();
  const service = serviceFor(demo, join(mkdtempSync(join(tmpdir(), 'service-')), 'client'));
  const events: HostEvent[] = [];
  service.onEvent((event) => events.push(event));
  await service.handlers.signIn({ role: 'nurse' });
  await sessionBecomes(service, 'signed-in');
  return { demo, service, events };
}

/** The demo's scripted K 6.8, as the signed-in nurse's feed lists it. */
function scriptedCritical(demo: LocalDemo, service: MonitorService): Promise<AlertSummary> {
  demo.kick();
  return until(
    async () => (await service.handlers.listAlerts({ limit: 200 })).find((a) => a.headline.includes('6.8')),
    'the scripted K 6.8',
  );
}

describe('monitor service', () => {
  it('resumes a signed-in session after a restart and forgets it after sign-out', async () => {
    const secrets = new MemorySecretStore();
    const demo = await demoFor(secrets);
    const dataDir = join(mkdtempSync(join(tmpdir(), 'service-')), 'client');

    const first = serviceFor(demo, dataDir);
    await first.handlers.signIn({ role: 'nurse' });
    expect((await sessionBecomes(first, 'signed-in')).user?.display).toMatch(/^Alex Rivera/);
    await first.close(); // the app quits without signing out

    const second = serviceFor(demo, dataDir);
    const resumed = await sessionBecomes(second, 'signed-in');
    expect(resumed.user?.fhirUser).toBe('Practitioner/nurse-a');
    expect(resumed.server?.fhirBase).toBe(demo.server.fhirBase);

    await second.handlers.signOut({});
    expect(existsSync(join(dataDir, 'last-session.json'))).toBe(false);
    const third = serviceFor(demo, join(mkdtempSync(join(tmpdir(), 'service-')), 'other'));
    expect((await third.handlers.getSession({})).state).toBe('signed-out');
  });

  it('signs in with a fixed redirect port and the scopes an integration engineer chose', async () => {
    const demo = await demoFor();
    const opened: string[] = [];
    const service = serviceFor(demo, join(mkdtempSync(join(tmpdir(), 'service-')), 'client'), opened);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const scopes = [
      'openid',
      'fhirUser',
      'user/Observation.rs',
      'user/Patient.rs',
      'user/Practitioner.rs',
      'user/Subscription.cruds',
    ];
    await service.handlers.signIn({ role: 'nurse', redirectPort: port, scopes });
    await sessionBecomes(service, 'signed-in');
    const authorize = new URL(opened[0] ?? '');
    expect(new URL(authorize.searchParams.get('redirect_uri') ?? '').port).toBe(String(port));
    expect(authorize.searchParams.get('scope')?.split(' ')).toEqual(scopes);
  });

  it('tells the screen of a later result by the final report, without polling, and makes no alert of the report', async () => {
    const { demo, service, events } = await signedInNurse();
    // The page polls trends only while this is false (LaterResult.tsx).
    await until(async () => (await service.handlers.getHealth({})).resultsPushed, 'results pushed in health');

    const critical = await scriptedCritical(demo, service);
    await until(async () => {
      const trend = await service.handlers.getObservationTrend({ reference: critical.focus, count: 20 });
      return trend.status === 'ok' && trend.points.length > 0;
    }, 'the critical in its own trend');
    events.length = 0;

    // An hour of the ward: the lab's repeat draw for that patient (normal 4.4), released in a final report.
    demo.server.simulator?.advance(3_600_000 + 60_000);
    await until(() => events.some((e) => e.type === 'results'), 'a results push');
    const trend = await service.handlers.getObservationTrend({ reference: critical.focus, count: 20 });
    expect(trend.points.some((p) => p.value === 4.4 && p.interpretation === 'N')).toBe(true);
    const alerts = await service.handlers.listAlerts({ limit: 200 });
    expect(alerts.filter((a) => a.focus.startsWith('DiagnosticReport/'))).toEqual([]);
  });

  it('pushes a burst of alert changes (a catch-up) as one feed-changed with nothing in it, and nothing to nobody', async () => {
    const { demo, service, events } = await signedInNurse();
    const critical = await scriptedCritical(demo, service);
    const burst = Array.from({ length: BURST_ALERTS + 1 }, (_, i) => ({ ...critical, id: `burst:${i}` }));
    const pushedBurst = () => events.filter((e) => e.type === 'alert' && e.alert.id.startsWith('burst:'));
    const feedChanged = () => events.filter((e) => e.type === 'feed-changed');

    for (const alert of burst) service.publish({ type: 'alert', alert });
    await until(() => feedChanged().length > 0, 'a feed-changed push');
    await nextTurn();
    expect(feedChanged()).toEqual([{ type: 'feed-changed' }]);
    expect(pushedBurst()).toEqual([]);

    // As many changes as a live batch holds are no burst: each goes its own way (these ids are not in
    // the store, so none is shown).
    events.length = 0;
    for (const alert of burst.slice(0, BURST_ALERTS)) service.publish({ type: 'alert', alert });
    await nextTurn();
    await nextTurn();
    expect(feedChanged()).toEqual([]);

    await service.handlers.signOut({});
    await sessionBecomes(service, 'signed-out');
    events.length = 0;
    for (const alert of burst) service.publish({ type: 'alert', alert });
    await nextTurn();
    await nextTurn();
    expect(feedChanged()).toEqual([]);
    expect(pushedBurst()).toEqual([]);
  });
});
