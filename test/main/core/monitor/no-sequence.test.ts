// A server without usable event numbers. Medplum sends eventNumber "0" for
// every event, R4B-style SubscriptionStatus inside R4, and has no $events. Medplum cannot run here, so a
// loopback peer reproduces its wire behaviour (test/support/fhir-peer.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  criticalPotassium,
  monitorFor,
  PEER_TOPIC,
  startFhirPeer,
  statusBundle,
  TOKEN,
} from '../../../support/fhir-peer.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(check: () => boolean, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe('servers without usable event numbers', () => {
  it('switches to no-sequence mode, de-duplicates by resource and reconciles by query', async () => {
    const t = {
      o1: '2026-11-22T10:00:01.000Z',
      o2: '2026-11-22T10:00:02.000Z',
      o3: '2026-11-22T10:00:03.000Z',
    };
    const peer = await startFhirPeer({
      token: TOKEN,
      topic: PEER_TOPIC,
      // Every connection: a handshake, then o1 and o2 with eventNumber "0", and o1 again (a duplicate).
      frames: (base) => [
        { event: 'handshake', data: statusBundle(base, 'handshake') },
        ...(['o1', 'o2', 'o1'] as const).map((id) => ({
          event: 'event-notification',
          data: statusBundle(base, 'event-notification', [
            { eventNumber: '0', focus: `${base}/Observation/${id}`, timestamp: t[id] },
          ]),
        })),
      ],
      resources: {
        'Observation/o1': criticalPotassium('o1', t.o1),
        'Observation/o2': criticalPotassium('o2', t.o2),
        'Observation/o3': criticalPotassium('o3', t.o3),
      },
      // o3 was never notified: only the reconciliation query finds it.
      searches: {
        Observation: [
          criticalPotassium('o1', t.o1),
          criticalPotassium('o2', t.o2),
          criticalPotassium('o3', t.o3),
        ],
      },
    });
    cleanups.push(() => peer.close());
    const { store, monitor } = monitorFor(
      cleanups,
      peer.base,
      join(mkdtempSync(join(tmpdir(), 'noseq-')), 'c.sqlite'),
      'Observation?category=laboratory',
    );
    await monitor.start();
    await until(() => store.alerts.list(10).length >= 3);
    await monitor.idle();

    const alerts = store.alerts.list(10);
    expect(alerts.map((a) => a.focus).sort()).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3']);
    expect(alerts.every((a) => a.tier === 'critical')).toBe(true);
    const health = monitor.health()[0];
    expect(health?.duplicatesDropped).toBeGreaterThanOrEqual(1);
    expect(health?.lastError).toMatch(/no usable event numbers \(event number 0\)/);
    expect(store.getSubscription(alerts[0]?.subscriptionKey ?? '')?.sequenceMode).toBe('no-sequence');
  });
});
