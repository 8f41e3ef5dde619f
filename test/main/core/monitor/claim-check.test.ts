// Claim-check: a notification whose focus points at another origin is never fetched with this
// server's token (SMART App Launch security guidance: "Do not follow references to other servers with the token").
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

describe('claim-check across origins', () => {
  it('never sends the token to a foreign origin named in a notification, and says so in health', async () => {
    // The "foreign" server records every request; it must see none.
    const foreign = await startFhirPeer({ token: 'never-sent', topic: 'x', frames: () => [] });
    cleanups.push(() => foreign.close());
    const home = await startFhirPeer({
      token: TOKEN,
      topic: PEER_TOPIC,
      frames: (base) => [
        { event: 'handshake', data: statusBundle(base, 'handshake') },
        {
          event: 'event-notification',
          data: statusBundle(base, 'event-notification', [
            { eventNumber: '1', focus: `${foreign.base}/Observation/stolen` },
          ]),
        },
        {
          event: 'event-notification',
          data: statusBundle(base, 'event-notification', [
            { eventNumber: '2', focus: `${base}/Observation/ok` },
          ]),
        },
      ],
      resources: { 'Observation/ok': criticalPotassium('ok', '2026-11-22T10:00:00.000Z') },
    });
    cleanups.push(() => home.close());
    const { store, monitor, notified } = monitorFor(
      cleanups,
      home.base,
      join(mkdtempSync(join(tmpdir(), 'claim-')), 'c.sqlite'),
    );
    await monitor.start();
    const deadline = Date.now() + 8000;
    while (notified.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await monitor.idle();

    expect(foreign.requests).toEqual([]);
    expect(home.requests.every((r) => r.headers.authorization === 'Bearer peer-token')).toBe(true);
    expect(store.alerts.list(10).map((a) => a.focus)).toEqual(['Observation/ok']);
    expect(monitor.health()[0]?.lastError).toMatch(/another server/);
    expect(notified).toHaveLength(1);
  });
});
