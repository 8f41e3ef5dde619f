// A critical whose claim-check read fails for a transient reason (the server unreachable for reads)
// is never left silent: it is shown as "Could not load — possibly critical", notified at once as "a
// result could not be checked", stays owed across a restart, and once read is notified with its
// content. Real embedded server behind a real loopback fault proxy that resets every read; only the
// notifier is a recorder.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../../../src-main/core/auth/index.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor } from '../../../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import type { AlertNotification } from '../../../../src-main/core/ports.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import { startFaultProxy } from '../../../support/fault-proxy.ts';

const rules = createRulesHolder(
  join(import.meta.dirname, '../../../../resources/rules/critical-values.json'),
);
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function issuedSession(server: RunningServer) {
  const issue = () =>
    server.auth.issueToken({ userId: 'nurse-a', clientId: DEMO_CLIENT_ID, scopes: DEFAULT_SCOPES.nurse });
  let issued = issue();
  return {
    fhirBase: server.fhirBase,
    fhirUser: 'Practitioner/nurse-a',
    accessToken: async () => issued.accessToken,
    tokenExpiresAt: () => Date.now() + issued.expiresIn * 1000,
    refreshNow: async () => {
      issued = issue();
    },
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('owed claim-check reads', () => {
  it('an unreadable critical is notified as unchecked, stays owed across a restart, then is notified with its value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'owed-'));
    const serverPort = await freePort();
    const proxy = await startFaultProxy({ upstreamPort: serverPort, seed: 3 });
    cleanups.push(() => proxy.close());
    const server = await startServer({
      port: serverPort,
      dbPath: join(dir, 'server.sqlite'),
      publicOrigin: proxy.origin,
      simulate: { autoStart: false },
      heartbeatSeconds: 5,
    });
    cleanups.push(() => server.close().catch(() => undefined));
    const storePath = join(dir, 'monitor.sqlite');
    const session = issuedSession(server);
    const run = async () => {
      const store = openClientStore(storePath);
      const notified: AlertNotification[] = [];
      const monitor = createMonitor({
        store,
        session,
        notifier: { notify: async (n) => void notified.push(n) },
        topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5 }],
        emit: () => undefined,
        onHealthChange: () => undefined,
        logger: silentLogger(),
        rules,
        channelBackoff: { baseMs: 100, capMs: 1000 },
      });
      await monitor.start();
      const stop = async () => {
        await monitor.stop();
        store.close();
      };
      return { store, notified, monitor, stop };
    };

    const first = await run();
    await until(() => first.monitor.health().some((h) => h.connection === 'live'), 'a live stream');
    // Every read is reset after the server answered (the stream itself is untouched).
    proxy.setPlan({ requestResetProbability: 1 });
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => first.notified.some((n) => n.kind === 'unchecked'), 'the could-not-be-checked notice');
    const notice = first.notified.find((n) => n.kind === 'unchecked');
    expect(notice?.title).toBe('A result could not be checked');
    const id = notice?.alertId ?? '';
    const owed = first.store.alerts.get(id);
    expect(owed).toMatchObject({
      tier: 'critical',
      fetch: 'error',
      headline: 'Could not load — possibly critical',
    });
    expect(owed?.fetchRetryAt).not.toBeNull();
    expect(owed?.lifecycle?.pinned).toBe(true);
    await first.stop();

    // Next start: the server is reachable again; the owed read is resumed and the real value notified.
    proxy.setPlan({ requestResetProbability: 0 });
    const second = await run();
    cleanups.push(second.stop);
    await until(
      () => second.notified.some((n) => n.alertId === id && n.kind === 'alert'),
      'the critical itself',
    );
    const read = second.store.alerts.get(id);
    expect(read).toMatchObject({ tier: 'critical', fetch: 'ok', fetchRetryAt: null });
    expect(second.notified.find((n) => n.alertId === id)?.title).toMatch(/^CRITICAL: /);
    expect(second.notified.filter((n) => n.alertId === id)).toHaveLength(1);
  }, 120_000);
});
