// Data at rest is readable by the workstation's user only: the data directory 0700, and every database
// (with its WAL and SHM), export, last-session and preferences file 0600. The real app runs here
// (composition root, local demo, SMART sign-in, a critical, an audit export) under umask 000, the
// worst case, and every file it leaves is stat-ed. A data directory left wide by an older version
// is narrowed at the next start.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../../src-main/app/compose.ts';
import { createBrowserNotifier } from '../../../src-main/browser-host/notifier.ts';
import { MemorySecretStore } from '../../../src-main/core/auth/index.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import { driveSignIn } from '../server/auth/helpers.ts';

const RULES = resolve(import.meta.dirname, '../../../resources/rules/critical-values.json');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
// Vitest runs each file in its own process (pool: forks), so this umask is this file's alone.
beforeAll(() => {
  process.umask(0o000);
});

const mode = (path: string) => statSync(path).mode & 0o777;

/** Every file and directory under `dir`, with its mode. */
function modes(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (at: string, prefix: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      found[`${prefix}${name}`] = mode(path).toString(8);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
    }
  };
  walk(dir, '');
  return found;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runDemo(dataDir: string, ward = false): Promise<RunningApp> {
  const app = await startApp(
    {
      dataDir,
      host: { kind: 'browser', version: 'test', osNotifications: false },
      logger: silentLogger(),
      rulesPath: RULES,
      createNotifier: (publish) => createBrowserNotifier(publish),
      secretStore: new MemorySecretStore(),
      openAuthorizationUrl: async (url) => {
        await fetch(await driveSignIn(url, { user: 'nurse-a' }));
      },
    },
    {
      kind: 'local-demo',
      simulationRate: 0,
      ...(ward
        ? {
            workstation: {
              kind: 'ward',
              identity: { clientId: 'ward-a-workstation', ward: 'ward-a', privateKeyFile: null },
            },
          }
        : {}),
    },
  );
  cleanups.push(() => app.close());
  return app;
}

describe('data at rest', () => {
  it('leaves the data directory 0700 and every file in it 0600, whatever the umask', async () => {
    expect(process.umask()).toBe(0);
    const dataDir = join(mkdtempSync(join(tmpdir(), 'modes-')), 'data');
    const app = await runDemo(dataDir);
    const { handlers } = app.service;
    await handlers.signIn({ role: 'nurse' });
    await until('the demo critical', async () =>
      (await handlers.listAlerts({ limit: 10 })).find((a) => a.tier === 'critical' && a.fetch === 'ok'),
    );
    await handlers.setPreferences({ privacyMode: true });
    const exported = await handlers.exportAudit({});
    expect(exported.path).not.toBeNull();

    const found = modes(dataDir);
    for (const name of [
      'monitor.sqlite',
      'monitor.sqlite-wal',
      'monitor.sqlite-shm',
      'demo-server.sqlite',
      'demo-server.sqlite-wal',
      'demo-server.sqlite-shm',
      'last-session.json',
      'preferences.json',
      'monitor.lock',
    ])
      expect(found, name).toHaveProperty([name]);
    expect(mode(dataDir).toString(8)).toBe('700');
    const wrong = Object.entries(found).filter(([name, bits]) =>
      statSync(join(dataDir, name)).isDirectory() ? bits !== '700' : bits !== '600',
    );
    expect(wrong).toEqual([]);
  }, 60_000);

  it('narrows a data directory and database an older version left readable by others', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'modes-')), 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'monitor.sqlite'), '');
    chmodSync(join(dataDir, 'monitor.sqlite'), 0o644);
    await runDemo(dataDir);
    expect(mode(dataDir).toString(8)).toBe('700');
    expect(mode(join(dataDir, 'monitor.sqlite')).toString(8)).toBe('600');
    expect(mode(join(dataDir, 'demo-server.sqlite')).toString(8)).toBe('600');
  }, 60_000);

  it("keeps the ward identity's key 0600 (a ward workstation on the local demo makes its own)", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'modes-')), 'data');
    const app = await runDemo(dataDir, true);
    await until('the ward to be watched', async () =>
      (await app.service.handlers.getHealth({})).subscriptions.length > 0 ? true : null,
    );
    expect(mode(join(dataDir, 'ward-identity.private.jwk.json')).toString(8)).toBe('600');
    const wrong = Object.entries(modes(dataDir)).filter(([name, bits]) =>
      statSync(join(dataDir, name)).isDirectory() ? bits !== '700' : bits !== '600',
    );
    expect(wrong).toEqual([]);
  }, 60_000);
});
