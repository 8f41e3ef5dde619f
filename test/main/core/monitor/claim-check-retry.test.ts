// A critical whose claim-check read fails for longer than the read's own retries (token renewal failing
// while the server is briefly unreachable) stays owed: it is read again, at the latest by the next start
// of the monitor, and then classified. It used to be saved as 'unclassified' / fetch 'error' and never
// read again, so a critical potassium interrupted nobody (the short soak saw it as `criticalMissed`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../../../src-main/core/auth/index.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import { createMonitor, type Monitor } from '../../../../src-main/core/monitor/monitor.ts';
import { CRITICAL_LAB_TOPIC } from '../../../../src-main/core/monitor/topics.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { DEMO_CLIENT_ID } from '../../../../src-main/server/demo-users.ts';
import { startServer, type RunningServer } from '../../../../src-main/server/server.ts';
import { until } from '../../../support/until.ts';

const rules = createRulesHolder(
  join(import.meta.dirname, '../../../../resources/rules/critical-values.json'),
);
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A monitor whose session can be made to fail (as a failed token renewal does) and healed. */
function startMonitor(
  server: RunningServer,
  storePath: string,
  health: { failing: boolean },
): { monitor: Monitor; store: ClientStore } {
  const token = server.auth.issueToken({
    userId: 'nurse-a',
    clientId: DEMO_CLIENT_ID,
    scopes: DEFAULT_SCOPES.nurse,
  }).accessToken;
  const store = openClientStore(storePath);
  const monitor = createMonitor({
    store,
    session: {
      fhirBase: server.fhirBase,
      fhirUser: 'Practitioner/nurse-a',
      accessToken: async () => {
        if (health.failing) throw new Error('token renewal failed: fetch failed');
        return token;
      },
      tokenExpiresAt: () => Date.now() + 3_600_000,
      refreshNow: async () => undefined,
    },
    notifier: { notify: async () => undefined },
    topics: [{ topic: CRITICAL_LAB_TOPIC, filters: [], heartbeatSeconds: 5 }],
    emit: () => undefined,
    onHealthChange: () => undefined,
    logger: silentLogger(),
    rules,
  });
  return { monitor, store };
}

describe('claim-check failures', () => {
  it('a critical whose claim-check failed for a while is classified after the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-retry-'));
    const server = await startServer({
      port: 0,
      dbPath: join(dir, 'server.sqlite'),
      simulate: { autoStart: false },
    });
    cleanups.push(() => server.close());
    const session = { failing: false };
    const first = startMonitor(server, join(dir, 'client.sqlite'), session);
    await first.monitor.start();
    await until(() => first.monitor.health()[0]?.connection === 'live', 'a live stream');
    // The stream is up; then reads fail (longer than the read's retries) while a critical arrives.
    session.failing = true;
    server.simulator?.emitCriticalPotassium('ward-a');
    await until(() => first.store.alerts.list(10).length === 1, 'the committed alert');
    await first.monitor.idle();
    expect(first.store.alerts.list(10)[0]?.fetch).toBe('error');
    await first.monitor.stop();
    first.store.close();

    // Reads work again; the monitor starts again on the same store.
    session.failing = false;
    const second = startMonitor(server, join(dir, 'client.sqlite'), session);
    cleanups.push(async () => {
      await second.monitor.stop();
      second.store.close();
    });
    await second.monitor.start();
    await until(() => second.monitor.health()[0]?.connection === 'live', 'a live stream again');
    await second.monitor.idle();
    expect(second.store.alerts.list(10)[0]).toMatchObject({ tier: 'critical', fetch: 'ok' });
  }, 60_000);
});
