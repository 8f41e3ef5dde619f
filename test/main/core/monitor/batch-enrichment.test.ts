// Enrichment keeps up with a burst: the alerts waiting together are read together (one search of their
// ids with their patients and encounters included, bed names cached) instead of 2–4 reads each, and
// nothing of the single-read rules is lost — a result the search does not return (deleted here) is read
// alone and shown as no longer available. Real embedded server behind a real loopback proxy that counts
// requests; only the notifier is a recorder (test double for the OS notification daemon).
import { afterEach, describe, expect, it } from 'vitest';
import { startProxiedSetup } from '../../../support/proxied-monitor.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const BURST = 40;

describe('batched enrichment', () => {
  it('reads a burst of missed criticals in a few requests, names patient and bed, and reads a missing one alone', async () => {
    const { server, proxy, run } = await startProxiedSetup('batch-enrich-', 5, cleanups);

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
