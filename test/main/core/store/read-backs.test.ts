// Read-backs in the store (client migration 12, read-backs.ts, commitReadBack in client-store.ts) over
// a real SQLite file: owed once per server, topic and owner; what one found is committed with it marked
// done in one transaction, to a record of its own that no running subscription's cursor counts, and a
// result a subscription already brought is not a second alert.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';

const BASE = 'http://127.0.0.1:9/fhir';
const TOPIC = 'http://alert-monitor.local/fhir/SubscriptionTopic/critical-lab-result';
const NURSE = 'Practitioner/nurse-a';
const opened: ClientStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function freshStore(): { store: ClientStore; path: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'read-backs-')), 'monitor.sqlite');
  const store = openClientStore(path);
  opened.push(store);
  return { store, path };
}

const FROM = '2026-12-03T00:00:00.000Z';

describe('read-backs', () => {
  it('are owed once per server, topic and owner, from the first time asked', () => {
    const { store } = freshStore();
    store.readBacks.owe(BASE, TOPIC, NURSE, FROM, Date.parse('2026-12-03T12:00:00Z'));
    store.readBacks.owe(BASE, TOPIC, NURSE, '2026-12-03T05:00:00.000Z', Date.parse('2026-12-03T17:00:00Z'));
    store.readBacks.owe(BASE, TOPIC, 'client/ward-a-ws1', FROM, Date.now());
    expect(store.readBacks.owed(BASE, NURSE)).toEqual([
      { fhirBase: BASE, topic: TOPIC, owner: NURSE, fromAt: FROM, doneAt: null, found: null },
    ]);
    expect(store.readBacks.owed(BASE, 'client/ward-a-ws1')).toHaveLength(1);
    expect(store.readBacks.owed('http://other/fhir', NURSE)).toEqual([]);
  });

  it('commit what they found with the read-back done, once; a result already alerted stays one alert', () => {
    const { store, path } = freshStore();
    // A live subscription of the same server, topic and owner already brought Observation/k1 version 1.
    const live = store.saveSubscription({
      fhirBase: BASE,
      remoteId: 'live-1',
      topic: TOPIC,
      channel: 'sse',
      endpoint: null,
      heartbeatSeconds: 10,
      owner: NURSE,
    });
    store.commitEvents(
      live.key,
      TOPIC,
      [{ eventNumber: 7, focus: 'Observation/k1', occurredAt: '2026-12-03T11:00:00Z', version: '1' }],
      'live',
    );
    store.readBacks.owe(BASE, TOPIC, NURSE, FROM, Date.now());
    const [owed] = store.readBacks.owed(BASE, NURSE);
    if (!owed) throw new Error('nothing owed');
    const found = [
      { focus: 'Observation/k1', occurredAt: '2026-12-03T11:00:00Z', version: '1' },
      { focus: 'Observation/k2', occurredAt: '2026-12-03T09:00:00Z', version: '3' },
    ];

    const result = store.commitReadBack(owed, found);
    expect(result?.alertIds).toHaveLength(1);
    expect(result?.duplicates).toBe(1);
    const alert = store.alerts.get(result?.alertIds[0] ?? '');
    expect(alert).toMatchObject({
      focus: 'Observation/k2',
      occurredAt: '2026-12-03T09:00:00Z',
      state: 'new',
    });
    // The live subscription's cursor is the server's count: untouched; the read-back's record is
    // retired, so it is never reused for a channel.
    expect(store.getCursor(live.key)).toBe(7);
    expect(store.findSubscription(BASE, TOPIC, NURSE)?.key).toBe(live.key);
    expect(store.readBacks.get(BASE, TOPIC, NURSE)).toMatchObject({ found: 1 });
    expect(store.readBacks.owed(BASE, NURSE)).toEqual([]);

    // Done already (another run got there first): nothing more is committed.
    expect(store.commitReadBack(owed, [{ focus: 'Observation/k3', occurredAt: FROM }])).toBeNull();
    expect(store.alerts.alertForFocus(BASE, NURSE, TOPIC, 'Observation/k3')).toBeNull();

    // Durable: a reopened store still knows it is done.
    store.close();
    opened.splice(0);
    const reopened = openClientStore(path);
    opened.push(reopened);
    expect(reopened.readBacks.get(BASE, TOPIC, NURSE)?.doneAt).not.toBeNull();
    expect(reopened.alerts.alertForFocus(BASE, NURSE, TOPIC, 'Observation/k2')).not.toBeNull();
  });
});
