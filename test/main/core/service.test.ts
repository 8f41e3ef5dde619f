// The MonitorApi implementation against the real embedded server: a real SMART sign-in (the "browser"
// is fetch driving the demo sign-in page), then a restart that resumes silently from the stored
// refresh token, then a sign-out that forgets it.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SCOPES,
  MemorySecretStore,
  resumeSession,
  signInInteractive,
} from '../../../src-main/core/auth/index.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import { topicsForRole } from '../../../src-main/core/monitor/topics.ts';
import {
  createMonitorService,
  type MonitorService,
  type ServerChoice,
} from '../../../src-main/core/service.ts';
import { DEMO_CLIENT_ID } from '../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../src-main/server/server.ts';
import type { SessionInfo } from '../../../src-main/shared/api.ts';
import { driveSignIn } from '../server/auth/helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function serviceFor(server: RunningServer, dataDir: string, secrets: MemorySecretStore): MonitorService {
  const service = createMonitorService({
    dataDir,
    host: { kind: 'browser', version: 'test', osNotifications: false },
    notifier: { notify: async () => undefined },
    logger: silentLogger(),
    defaultServer: { fhirBase: server.fhirBase, name: 'Local demo server', clientId: DEMO_CLIENT_ID },
    signIn: (choice, context) =>
      signInInteractive({
        fhirBase: choice.fhirBase,
        clientId: choice.clientId,
        scopes: DEFAULT_SCOPES[choice.role],
        // The user's browser: pick the Ward A nurse on the sign-in page and follow the redirect home.
        openUrl: async (url) => {
          const redirect = await driveSignIn(url, { user: 'nurse-a' });
          await context.openUrl(url);
          await fetch(redirect);
        },
        allowInsecureLoopback: true,
        secretStore: secrets,
      }),
    resume: (choice: ServerChoice) =>
      resumeSession({
        fhirBase: choice.fhirBase,
        clientId: choice.clientId,
        secretStore: secrets,
        allowInsecureLoopback: true,
      }),
    topicsFor: (_session, choice) => topicsForRole(choice.role),
  });
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

describe('monitor service', () => {
  it('resumes a signed-in session after a restart and forgets it after sign-out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'service-'));
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    const secrets = new MemorySecretStore();
    const dataDir = join(dir, 'client');

    const first = serviceFor(server, dataDir, secrets);
    await first.handlers.signIn({ role: 'nurse' });
    const signedIn = await sessionBecomes(first, 'signed-in');
    expect(signedIn.user?.display).toMatch(/^Alex Rivera/);
    await first.close(); // app quits: no sign-out

    const second = serviceFor(server, dataDir, secrets);
    cleanups.push(() => second.close());
    const resumed = await sessionBecomes(second, 'signed-in');
    expect(resumed.user?.fhirUser).toBe('Practitioner/nurse-a');
    expect(resumed.server?.fhirBase).toBe(server.fhirBase);

    await second.handlers.signOut({});
    expect(existsSync(join(dataDir, 'last-session.json'))).toBe(false);
    const third = serviceFor(server, mkdtempSync(join(tmpdir(), 'unused-')), secrets);
    cleanups.push(() => third.close());
    expect((await third.handlers.getSession({})).state).toBe('signed-out');
  });
});
