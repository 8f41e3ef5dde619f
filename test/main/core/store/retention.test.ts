import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openClientStore } from '../../../../src-main/core/store/client-store.ts';
import { pruneStore } from '../../../../src-main/core/store/retention.ts';

describe('pruneStore', () => {
  it('forgets a decided order once its alert could no longer arrive (the events’ window)', () => {
    const store = openClientStore(join(mkdtempSync(join(tmpdir(), 'retention-')), 'm.sqlite'));
    const decide = (order: string, at: number) =>
      store.alerts.sharing.closeDecidedOrder(
        'http://127.0.0.1:9/fhir',
        { order, decision: 'verify', actor: 'Practitioner/pharmacist', at: new Date(at).toISOString() },
        false,
        at,
      );
    decide('MedicationRequest/old', Date.now() - 400 * 86_400_000);
    decide('MedicationRequest/new', Date.now());
    pruneStore(store);
    const kept = store.db.prepare<[], { order_ref: string }>('SELECT order_ref FROM decided_orders').all();
    expect(kept.map((r) => r.order_ref)).toEqual(['MedicationRequest/new']);
    store.close();
  });

  it('drops old closed alerts, events and cache but never an open critical, and keeps the cursor', () => {
    const store = openClientStore(join(mkdtempSync(join(tmpdir(), 'retention-')), 'm.sqlite'));
    const sub = store.saveSubscription({
      fhirBase: 'http://127.0.0.1:9/fhir',
      remoteId: 's',
      topic: 't',
      channel: 'sse',
      endpoint: null,
      heartbeatSeconds: 30,
      owner: null,
    });
    store.commitEvents(
      sub.key,
      sub.topic,
      [1, 2, 3].map((n) => ({ eventNumber: n, focus: `Observation/o${n}`, occurredAt: null })),
      'live',
    );
    const alert = (n: number) => `${sub.key}:${n}`;
    store.db.prepare("UPDATE alerts SET tier = 'critical'").run();
    store.alerts.acknowledge(alert(1), 'Practitioner/nurse-a', null, null, Date.now()); // closed
    store.db.prepare("UPDATE alerts SET tier = 'info' WHERE id = ?").run(alert(2)); // informational
    // alert 3 stays an open critical
    store.cacheResource(sub.fhirBase, 'Observation/o1', '1', '{}');
    const longAgo = new Date(Date.now() - 400 * 86_400_000).toISOString();
    store.db.prepare('UPDATE alerts SET received_at = ?').run(longAgo);
    store.db.prepare('UPDATE events SET received_at = ?').run(longAgo);
    store.db.prepare('UPDATE resource_cache SET fetched_at = ?').run(longAgo);

    const pruned = pruneStore(store);
    expect(pruned).toMatchObject({ events: 3, alerts: 2, cachedResources: 1 });
    expect(store.alerts.list(10).map((a) => a.id)).toEqual([alert(3)]);
    expect(store.getCursor(sub.key)).toBe(3);
    // A replayed old event is still recognised as a duplicate through the cursor.
    expect(
      store.commitEvents(
        sub.key,
        sub.topic,
        [{ eventNumber: 2, focus: 'Observation/o2', occurredAt: null }],
        'live',
      ).duplicates,
    ).toBe(1);
    store.close();
  });

  it('drops a retired subscription record once nothing of it is left; keeps one with an open alert', () => {
    const store = openClientStore(join(mkdtempSync(join(tmpdir(), 'retention-')), 'm.sqlite'));
    const subscription = (remoteId: string, topic: string) =>
      store.saveSubscription({
        fhirBase: 'http://127.0.0.1:9/fhir',
        remoteId,
        topic,
        channel: 'websocket',
        endpoint: null,
        heartbeatSeconds: 30,
        owner: 'Practitioner/nurse-a',
      });
    const emptied = subscription('gone-1', 'topic-a'); // its one closed alert is pruned below
    const holding = subscription('gone-2', 'topic-b'); // holds an open critical
    const recent = subscription('gone-3', 'topic-c'); // retired yesterday
    const active = subscription('live-1', 'topic-d'); // never retired
    for (const sub of [emptied, holding])
      store.commitEvents(
        sub.key,
        sub.topic,
        [{ eventNumber: 1, focus: 'Observation/o1', occurredAt: null }],
        'live',
      );
    store.db.prepare("UPDATE alerts SET tier = 'critical'").run();
    store.alerts.acknowledge(`${emptied.key}:1`, 'Practitioner/nurse-a', null, null, Date.now());
    for (const sub of [emptied, holding, recent]) expect(store.retireSubscription(sub.key)).toBe(true);
    const longAgo = new Date(Date.now() - 400 * 86_400_000).toISOString();
    store.db.prepare('UPDATE alerts SET received_at = ?').run(longAgo);
    store.db.prepare('UPDATE events SET received_at = ?').run(longAgo);
    store.db
      .prepare('UPDATE subscriptions SET retired_at = ? WHERE key IN (?, ?)')
      .run(longAgo, emptied.key, holding.key);
    store.db
      .prepare('UPDATE subscriptions SET retired_at = ? WHERE key = ?')
      .run(new Date(Date.now() - 86_400_000).toISOString(), recent.key);

    const pruned = pruneStore(store);

    expect(pruned).toMatchObject({ events: 2, alerts: 1, retiredSubscriptions: 1 });
    const left = store.db
      .prepare<[], { key: string }>('SELECT key FROM subscriptions ORDER BY key')
      .all()
      .map((row) => row.key);
    expect(left.sort()).toEqual([holding.key, recent.key, active.key].sort());
    expect(store.alerts.list(10).map((a) => a.id)).toEqual([`${holding.key}:1`]);
    store.close();
  });
});
