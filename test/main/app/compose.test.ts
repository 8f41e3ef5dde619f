// The composition root over real parts: the instance lock and SQLite files in a temp data directory,
// the embedded server on 127.0.0.1, the real SMART flow and the browser host's notifier. The host's
// `openAuthorizationUrl` plays the user's browser: it drives the server's sign-in page with fetch and
// follows the redirect back to the app's loopback listener.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type HostParts, type RunningApp } from '../../../src-main/app/compose.ts';
import { loadDeployment } from '../../../src-main/app/config.ts';
import type { AppMode, ConfiguredServer } from '../../../src-main/app/mode.ts';
import { createBrowserNotifier } from '../../../src-main/browser-host/notifier.ts';
import { InstanceLockedError } from '../../../src-main/core/instance-lock.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import type { MonitorService, ServiceOptions } from '../../../src-main/core/service.ts';
import { DEMO_CLIENT_ID } from '../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../src-main/server/server.ts';
import type { HostEvent, SessionInfo } from '../../../src-main/shared/api.ts';
import { driveSignIn } from '../server/auth/helpers.ts';

type AlertNotification = Parameters<ServiceOptions['notifier']['notify']>[0];

const RULES = resolve(import.meta.dirname, '../../../resources/rules/critical-values.json');
const LOCAL_DEMO: AppMode = { kind: 'local-demo', simulationRate: 0 };
/** The demo without escalation to people: an overdue critical re-notifies this screen. */
const SCREEN_ESCALATION_DEMO: AppMode = { ...LOCAL_DEMO, escalation: { policy: null } };
const DEADLINE_MS = 30_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'compose-'));
}

/** What a host passes in, with the browser host's real notifier and a user who approves sign-in. */
function hostParts(dataDir: string, overrides: Partial<HostParts> = {}): HostParts {
  return {
    dataDir,
    host: { kind: 'browser', version: 'test', osNotifications: false },
    logger: silentLogger(),
    rulesPath: RULES,
    createNotifier: (publish) => createBrowserNotifier(publish),
    openAuthorizationUrl: async (url) => {
      await fetch(await driveSignIn(url, { user: 'nurse-a' }));
    },
    ...overrides,
  };
}

async function started(dataDir: string, mode: AppMode, overrides: Partial<HostParts> = {}) {
  const app: RunningApp = await startApp(hostParts(dataDir, overrides), mode);
  cleanups.push(() => app.close());
  return app;
}

async function hospitalServer(): Promise<RunningServer> {
  const server = await startServer({ port: 0, dbPath: join(tempDir(), 'hospital.sqlite') });
  cleanups.push(() => server.close());
  return server;
}

async function until<T>(
  what: string | (() => string),
  probe: () => T | null | undefined | Promise<T | null | undefined>,
) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sessionBecomes(service: MonitorService, state: SessionInfo['state']): Promise<SessionInfo> {
  let last: SessionInfo | null = null;
  const what = () => `session ${state} (last: ${last?.state ?? '?'} ${last?.reason ?? ''})`;
  return until(what, async () => {
    last = await service.handlers.getSession({});
    return last.state === state ? last : null;
  });
}

/** Listening TCP servers in this process (node's own resource list: no port guessing). */
function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
}

/** Earlier tests' servers release their handles shortly after close(): start each count from zero. */
async function noListeningServers(): Promise<void> {
  await until('earlier servers to release their sockets', () => (listeningServers() === 0 ? true : null));
}

const lockFile = (dataDir: string) => join(dataDir, 'monitor.lock');
const demoDatabase = (dataDir: string) => join(dataDir, 'demo-server.sqlite');

describe('composition root: local-demo mode', () => {
  it('starts the embedded server and signs in to it through the real SMART flow', async () => {
    await noListeningServers();
    const dataDir = tempDir();
    const app = await started(dataDir, LOCAL_DEMO);
    expect(app.localDemoFhirBase).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
    expect(listeningServers()).toBe(1);
    expect(existsSync(demoDatabase(dataDir))).toBe(true);
    const events: HostEvent[] = [];
    app.service.onEvent((event) => events.push(event));

    await app.service.handlers.signIn({ role: 'nurse' });
    const session = await sessionBecomes(app.service, 'signed-in');
    expect(session.server).toEqual({ fhirBase: app.localDemoFhirBase, name: 'Local demo server' });
    expect(session.user?.fhirUser).toBe('Practitioner/nurse-a');

    // Once subscribed, the demo emits one critical potassium; the host's notifier raises it.
    const notified = await until('the demo critical to be notified', () =>
      events.find((event) => event.type === 'notify'),
    );
    expect(notified).toMatchObject({ type: 'notify', title: expect.stringMatching(/potassium/i) });
  }, 60_000);
  it('an unacknowledged critical that is overdue at start escalates through the host notifier', async () => {
    const dataDir = tempDir();
    // This screen's own escalation (the demo otherwise escalates to people first: docs/deployment.md).
    const first = await startApp(hostParts(dataDir), SCREEN_ESCALATION_DEMO);
    try {
      await first.service.handlers.signIn({ role: 'nurse' });
      await until('the demo critical', async () =>
        (await first.service.handlers.listAlerts({ limit: 10 })).find((a) => a.tier === 'critical'),
      );
    } finally {
      await first.close();
    }
    // The nurse never acknowledged it, and the app was closed for an hour.
    const db = new Database(join(dataDir, 'monitor.sqlite'));
    db.prepare("UPDATE alerts SET received_at = ? WHERE tier = 'critical'").run(
      new Date(Date.now() - 3_600_000).toISOString(),
    );
    db.close();

    // Stands in for the OS notification daemon the browser host reaches over D-Bus.
    const osNotifications: AlertNotification[] = [];
    const osNotifier = { notify: async (n: AlertNotification) => void osNotifications.push(n) };
    await started(dataDir, SCREEN_ESCALATION_DEMO, {
      createNotifier: (publish) =>
        createBrowserNotifier(publish, { notifier: osNotifier, logger: silentLogger() }),
    });
    const escalation = await until('the escalation to reach the OS notifier', () =>
      osNotifications.find((n) => n.kind === 'escalation'),
    );
    expect(escalation.tier).toBe('critical');
  }, 60_000);
});

/** A hospital's escalation policy as its configuration file states it. */
const HOSPITAL_POLICY = {
  steps: [
    { role: 'nurse', afterMinutes: 5 },
    { role: 'charge-nurse', afterMinutes: 5 },
    { role: 'fail-safe', afterMinutes: 10 },
  ],
  failSafeContacts: [{ name: 'House supervisor', phone: 'ext. 4400' }],
};

describe('composition root: servers mode', () => {
  it('starts no embedded server and signs in to the configured server by default', async () => {
    await noListeningServers();
    const hospital = await hospitalServer();
    const configured: ConfiguredServer = {
      fhirBase: hospital.fhirBase,
      name: 'Test hospital',
      clientId: DEMO_CLIENT_ID,
    };
    const dataDir = tempDir();
    const app = await started(dataDir, { kind: 'servers', servers: [configured] });
    expect(app.localDemoFhirBase).toBeNull();
    expect(listeningServers()).toBe(1); // the hospital's only
    expect(existsSync(demoDatabase(dataDir))).toBe(false);

    await app.service.handlers.signIn({ role: 'nurse' });
    const session = await sessionBecomes(app.service, 'signed-in');
    expect(session.server).toEqual({ fhirBase: hospital.fhirBase, name: 'Test hospital' });
    expect(session.user?.fhirUser).toBe('Practitioner/nurse-a');
    expect(existsSync(demoDatabase(dataDir))).toBe(false);
  }, 60_000);

  it('with no server configured, asks for one and signs in to the server the user names', async () => {
    const hospital = await hospitalServer();
    const app = await started(tempDir(), { kind: 'servers', servers: [] });

    const refused = await app.service.handlers.signIn({ role: 'nurse' });
    expect(refused.state).toBe('signed-out');
    expect(refused.reason).toMatch(/No server configured/);

    await app.service.handlers.signIn({
      role: 'nurse',
      fhirBase: hospital.fhirBase,
      clientId: DEMO_CLIENT_ID,
    });
    const session = await sessionBecomes(app.service, 'signed-in');
    expect(session.server?.fhirBase).toBe(hospital.fhirBase);
  }, 60_000);
});

describe('composition root: the instance lock', () => {
  it('is released when the rules file does not parse, before anything else starts', async () => {
    const dataDir = tempDir();
    const rulesPath = join(tempDir(), 'critical-values.json');
    writeFileSync(rulesPath, '{ "thresholds": [');
    await expect(startApp(hostParts(dataDir, { rulesPath }), LOCAL_DEMO)).rejects.toThrow(/not valid JSON/);
    expect(existsSync(lockFile(dataDir))).toBe(false);
    expect(existsSync(demoDatabase(dataDir))).toBe(false);

    const app = await started(dataDir, { kind: 'servers', servers: [] });
    expect(existsSync(lockFile(dataDir))).toBe(true);
    await app.close();
  });

  it('is released, and the demo server closed, when the monitor service fails to start', async () => {
    await noListeningServers();
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'monitor.sqlite')); // a directory where the client database belongs
    await expect(startApp(hostParts(dataDir), LOCAL_DEMO)).rejects.toThrow(/unable to open database/);
    expect(existsSync(lockFile(dataDir))).toBe(false);
    expect(existsSync(demoDatabase(dataDir))).toBe(true); // the demo had started …
    await noListeningServers(); // … and is closed again
  }, 60_000);

  it('is released on close (twice is harmless), and the data directory can be used again', async () => {
    const dataDir = tempDir();
    const first = await startApp(hostParts(dataDir), { kind: 'servers', servers: [] });
    expect(existsSync(lockFile(dataDir))).toBe(true);
    await first.close();
    await first.close();
    expect(existsSync(lockFile(dataDir))).toBe(false);

    const second = await started(dataDir, LOCAL_DEMO);
    expect(second.localDemoFhirBase).not.toBeNull();
  });

  it('refuses a second composition on the same data directory with InstanceLockedError', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [join(import.meta.dirname, 'compose-child.ts'), dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until('the other process to start', () => {
      if (child.exitCode !== null) throw new Error(`the other process exited: ${output}`);
      return /^ready /m.test(output) ? true : null;
    });

    const refused = startApp(hostParts(dataDir), LOCAL_DEMO);
    await expect(refused).rejects.toBeInstanceOf(InstanceLockedError);
    await expect(refused).rejects.toThrow(`pid ${child.pid}`);
    expect(existsSync(demoDatabase(dataDir))).toBe(false); // refused before starting anything

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(lockFile(dataDir))).toBe(false);
    await started(dataDir, { kind: 'servers', servers: [] });
  }, 60_000);
});

describe('composition root: from the deployment configuration (both hosts start through it)', () => {
  const noSystemFile = () => join(tempDir(), 'none.json');
  function fromFile(content: unknown): AppMode {
    const path = join(tempDir(), 'config.json');
    writeFileSync(path, JSON.stringify(content));
    return loadDeployment({ argv: ['--config', path], env: {}, systemPath: noSystemFile() });
  }

  it('starts no embedded server or simulator when the configuration names hospital servers', async () => {
    await noListeningServers();
    const hospital = await hospitalServer();
    const rulesFile = join(tempDir(), 'ward-rules.json');
    copyFileSync(RULES, rulesFile);
    const mode = fromFile({
      servers: [{ name: 'Test hospital', fhirBase: hospital.fhirBase, clientId: DEMO_CLIENT_ID }],
      privacyDefault: true,
      escalation: { ackTimeoutMinutes: 5, targetMinutes: 20, policy: HOSPITAL_POLICY },
      rulesFile,
    });
    const dataDir = tempDir();
    const app = await started(dataDir, mode);
    expect(app.localDemoFhirBase).toBeNull();
    expect(listeningServers()).toBe(1); // the hospital's only
    expect(existsSync(demoDatabase(dataDir))).toBe(false);
    // What IT set is what runs.
    expect((await app.service.handlers.getPreferences({})).privacyMode).toBe(true);
    const status = await app.service.handlers.getAlertingStatus({});
    expect(status).toMatchObject({ ackTimeoutMinutes: 5, targetMinutes: 20 });
    // The escalation policy IT wrote is the one that runs (docs/deployment.md, "Escalation policy").
    expect(status.escalationPolicy).toEqual(HOSPITAL_POLICY);
    expect(status.rules.path).toBe(rulesFile);
    await app.service.handlers.signIn({ role: 'nurse' });
    expect((await sessionBecomes(app.service, 'signed-in')).server?.fhirBase).toBe(hospital.fhirBase);
  }, 60_000);

  it('runs the embedded server only when the configuration asks for the local demo, or when there is none', async () => {
    await noListeningServers();
    const asked = tempDir();
    const demo = await started(asked, fromFile({ localDemo: { enabled: true, simulationRate: 0 } }));
    expect(demo.localDemoFhirBase).not.toBeNull();
    expect(existsSync(demoDatabase(asked))).toBe(true);
    // The demo escalates to people out of the box: the ward's nurses, the charge nurse, the fail-safe list.
    const policy = (await demo.service.handlers.getAlertingStatus({})).escalationPolicy;
    expect(policy?.steps.map((s) => s.role)).toEqual(['nurse', 'charge-nurse', 'fail-safe']);
    await demo.close();
    await noListeningServers();

    const zeroConfig = loadDeployment({ argv: [], env: {}, systemPath: noSystemFile() });
    const bare = tempDir();
    const local = await started(bare, zeroConfig);
    expect(local.localDemoFhirBase).not.toBeNull();
    expect(listeningServers()).toBe(1);
  }, 60_000);

  it('a bad configuration starts nothing: no server, no lock, no database', async () => {
    await noListeningServers();
    const path = join(tempDir(), 'config.json');
    writeFileSync(
      path,
      JSON.stringify({ servers: [{ name: 'x', fhirBase: 'http://fhir.example.org', clientId: 'c' }] }),
    );
    expect(() => loadDeployment({ argv: ['--config', path], env: {} })).toThrow(/servers\.0\.fhirBase/);
    expect(listeningServers()).toBe(0);
  });
});
