// Claim-check: a notification whose focus points at another origin is never fetched with this
// server's token (SMART App Launch security guidance: "Do not follow references to other servers with the token").
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventBundle, monitorFor, potassium, startFhirPeer } from '../../../support/fhir-peer.ts';
import { until } from '../../../support/until.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('claim-check across origins', () => {
  it('never sends the token to a foreign origin named in a notification, and says so in health', async () => {
    // The "foreign" server records every request; it must see none.
    const foreign = await startFhirPeer();
    cleanups.push(() => foreign.close());
    const home = await startFhirPeer();
    cleanups.push(() => home.close());
    const { store, monitor, notified } = monitorFor(
      cleanups,
      home.base,
      join(mkdtempSync(join(tmpdir(), 'claim-')), 'c.sqlite'),
    );
    await monitor.start();
    await until(() => home.boundSubscriptions().length === 1, 'the websocket bind');
    const subscription = home.boundSubscriptions()[0] ?? '';
    home.broadcast(eventBundle(subscription, `${foreign.base}/Observation/stolen`));
    await until(() => (monitor.health()[0]?.channelErrors ?? 0) > 0, 'the refused foreign focus');
    const ok = String(home.lab.create(potassium())['id']);
    await until(() => notified.length > 0, 'the notification');
    await monitor.idle();

    expect(foreign.requests).toEqual([]);
    expect(home.requests.every((r) => r.headers.authorization === 'Bearer peer-token')).toBe(true);
    expect(store.alerts.list(10).map((a) => a.focus)).toEqual([`Observation/${ok}`]);
    expect(monitor.health()[0]?.lastError).toMatch(/another server/);
    expect(notified).toHaveLength(1);
  });
});
