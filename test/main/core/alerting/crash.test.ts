// Exactly once across a crash: a child process running the monitor is killed with SIGKILL between the
// durable commit and the notification; after a restart the notification happens once, and a further
// restart (a replay) does not repeat it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../../../src-main/core/auth/index.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor } from '../../../../src-main/core/monitor/monitor.ts';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';

const RULES = join(import.meta.dirname, '../../../../resources/rules/critical-values.json');
const CHILD = join(import.meta.dirname, 'crash-child.ts');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function token(server: RunningServer): string {
  return server.auth.issueToken({ userId: 'nurse-a', clientId: DEMO_CLIENT_ID, scopes: DEFAULT_SCOPES.nurse })
    .accessToken;
}

/** Run the child until it is killed; `trigger` runs once it is streaming. */
async function runChildUntilKilled(
  server: RunningServer,
  dir: string,
  crashAt: 'after-commit' | 'in-notify',
  trigger: () => void,
): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [CHILD], {
    env: {
      ...process.env,
      CRASH_AT: crashAt,
      CLIENT_DB: join(dir, 'client.sqlite'),
      FHIR_BASE: server.fhirBase,
      ACCESS_TOKEN: token(server),
      NOTIFY_LOG: join(dir, 'child-notifications.log'),
      RULES,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    if (d.toString().includes('ready')) trigger();
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_c, s) => resolve(s)),
  );
  if (signal !== 'SIGKILL') throw new Error(`child exited without the crash: ${stderr}`);
  return signal;
}

async function restartOnce(server: RunningServer, dir: string): Promise<AlertNotification[]> {
  const store = openClientStore(join(dir, 'client.sqlite'));
  const notified: AlertNotification[] = [];
  const monitor = createMonitor({
    store,
    session: {
      fhirBase: server.fhirBase,
      fhirUser: 'Practitioner/nurse-a',
      accessToken: async () => token(server),
      tokenExpiresAt: () => Date.now() + 3_600_000,
      refreshNow: async () => undefined,
    },
    notifier: { notify: async (n) => void notified.push(n) },
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5 }],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
    rules: createRulesHolder(RULES),
  });
  await monitor.start();
  // Live, so that a replay from the server would have come in; a generous deadline on a loaded machine.
  const deadline = Date.now() + 20_000;
  while (monitor.health()[0]?.connection !== 'live') {
    if (Date.now() > deadline) throw new Error('the restarted monitor never went live');
    await new Promise((r) => setTimeout(r, 25));
  }
  // idle() waits for the enrichment and for the catch-up summary window to close (no fixed sleep).
  await monitor.idle();
  await monitor.stop();
  store.close();
  return notified;
}

describe('notification exactly once across a crash', () => {
  it('kill -9 after the durable commit, before any notification: notified once after restart, never again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crash-'));
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    await runChildUntilKilled(server, dir, 'after-commit', () =>
      server.simulator?.emitCriticalPotassium('ward-a'),
    );
    expect(existsSync(join(dir, 'child-notifications.log'))).toBe(false);

    const afterRestart = await restartOnce(server, dir);
    expect(afterRestart).toHaveLength(1);
    expect(afterRestart[0]).toMatchObject({ tier: 'critical', title: 'CRITICAL: Potassium 6.8 mmol/L' });
    expect(await restartOnce(server, dir)).toHaveLength(0);
  }, 30_000);

  it('kill -9 while the notification is being shown: delivered again once (a repeat beats a loss), audited, then never again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crash-'));
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    await runChildUntilKilled(server, dir, 'in-notify', () =>
      server.simulator?.emitCriticalPotassium('ward-a'),
    );

    const afterRestart = await restartOnce(server, dir);
    expect(afterRestart).toHaveLength(1);
    expect(await restartOnce(server, dir)).toHaveLength(0);
    const store = openClientStore(join(dir, 'client.sqlite'));
    const actions = store.db
      .prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY id')
      .all()
      .map((r) => r.action);
    store.close();
    expect(actions).toEqual(['notify-interrupted', 'notified']);
  }, 30_000);
});
