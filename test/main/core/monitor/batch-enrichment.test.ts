// Enrichment keeps up with a burst: the alerts waiting together are read together (one search of their
// ids with their patients and encounters included, bed names cached) instead of 2–4 reads each, and
// nothing of the single-read rules is lost — a result the search does not return (deleted here) is read
// alone and shown as no longer available. Real embedded server behind a real loopback proxy that counts
// requests; only the notifier is a recorder (test double for the OS notification daemon).
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

const BURST = 40;

describe('batched enrichment', () => {
  it('reads a burst of missed criticals in a few requests, names patient and bed, and reads a missing one alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batch-enrich-'));
    const serverPort = await freePort();
    const proxy = await startFaultProxy({ upstreamPort: serverPort, seed: 5 });
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

    // The subscription exists and is live; then the workstation is off while a burst arrives.
    const first = await run();
    await until(() => first.monitor.health().some((h) => h.connection === 'live'), 'a live stream');
    await first.stop();
    const simulator = server.simulator;
    if (!simulator) throw new Error('no simulator');
    const written = Array.from({ length: BURST }, () => simulator.emitCriticalPotassium('ward-a'));
    const deleted = written[7];
    if (!deleted) throw new Error('no result');
    const feed = server.auth.issueServiceToken({
      clientId: 'lab-feed',
      role: 'clinical-feed',
      securityLabels: ['ward-a'],
      scopes: ['system/*.cruds'],
    }).accessToken;
    const gone = await fetch(`${server.fhirBase}/Observation/${deleted.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${feed}` },
    });
    expect(gone.status).toBeLessThan(300);

    const before = proxy.stats().requests;
    const second = await run();
    cleanups.push(second.stop);
    const enrichedCount = () => second.store.alerts.list(500).filter((a) => a.fetch !== 'pending').length;
    await until(() => enrichedCount() >= BURST, 'every missed result enriched');
    await second.monitor.idle();
    const requests = proxy.stats().requests - before;

    const alerts = second.store.alerts.list(500);
    const readable = alerts.filter((a) => !a.focus.endsWith(`/${deleted.id}`));
    expect(readable).toHaveLength(BURST - 1);
    for (const alert of readable) {
      expect(alert).toMatchObject({ tier: 'critical', fetch: 'ok' });
      expect(alert.patient?.name).toBeTruthy();
      expect(alert.location).toMatch(/bed/i);
    }
    const missing = alerts.find((a) => a.focus.endsWith(`/${deleted.id}`));
    expect(missing).toMatchObject({ fetch: 'gone', headline: 'No longer available' });
    // One read each (focus, patient, encounter, location) would be 4 × 40 = 160 requests; batched, the
    // burst plus the start (metadata, subscription, stream) stays well under one request per alert.
    expect(requests).toBeLessThan(BURST);
    // Catch-up criticals become one offline summary, not 39 interruptions.
    expect(second.notified.filter((n) => n.kind === 'summary')).toHaveLength(1);
  }, 120_000);
});
