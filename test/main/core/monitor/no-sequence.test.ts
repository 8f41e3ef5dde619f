// A server without usable event numbers. Medplum sends eventNumber "0" for every event, R4B-style
// SubscriptionStatus inside R4, and has no $events. Medplum cannot run in `npm test`, so a loopback
// peer reproduces its observed wire behaviour (test/support/fhir-peer.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { monitorFor, potassium, startFhirPeer } from '../../../support/fhir-peer.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('servers without usable event numbers', () => {
  it('switches to no-sequence mode, de-duplicates by resource and reconciles by query', async () => {
    const peer = await startFhirPeer();
    cleanups.push(() => peer.close());
    const { store, monitor } = monitorFor(
      cleanups,
      peer.base,
      join(mkdtempSync(join(tmpdir(), 'noseq-')), 'c.sqlite'),
      'Observation?category=laboratory',
    );
    // o3 is written after the sign-in but before the subscription exists: it is never notified, and
    // only the reconciliation query finds it.
    const o3 = String(peer.lab.create(potassium())['id']);
    await monitor.start();
    await until(() => peer.boundSubscriptions().length === 1, 'the websocket bind');
    const o1 = String(peer.lab.create(potassium())['id']);
    const o2 = String(peer.lab.create(potassium())['id']);
    // o1 again, the same version (a duplicate).
    peer.lab.renotify(`Observation/${o1}`);
    // The repeat is the last frame sent: once it is counted, everything before it was handled.
    await until(
      () => store.alerts.list(10).length >= 3 && (monitor.health()[0]?.duplicatesDropped ?? 0) >= 1,
      'three alerts and the repeat dropped',
    );
    await monitor.idle();

    const alerts = store.alerts.list(10);
    expect(alerts.map((a) => a.focus).sort()).toEqual(
      [`Observation/${o1}`, `Observation/${o2}`, `Observation/${o3}`].sort(),
    );
    expect(alerts.every((a) => a.tier === 'critical')).toBe(true);
    const health = monitor.health()[0];
    expect(health?.duplicatesDropped).toBeGreaterThanOrEqual(1);
    expect(health?.lastError).toMatch(/no usable event numbers \(event number 0\)/);
    expect(store.getSubscription(alerts[0]?.subscriptionKey ?? '')?.sequenceMode).toBe('no-sequence');
  });
});
