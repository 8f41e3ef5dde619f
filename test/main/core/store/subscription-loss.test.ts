// A server-side subscription that disappears (Medplum deletes a websocket subscription with its socket)
// must never take the workstation's alerts with it, and the same result must never become two alerts
// because it came through two subscriptions or as a live event and a reconciliation (schema.ts
// migration 4, client-store.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { CLIENT_MIGRATIONS } from '../../../../src-main/core/store/schema.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';

const opened: ClientStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const BASE = 'http://127.0.0.1:9/fhir';
const dbPath = () => join(mkdtempSync(join(tmpdir(), 'loss-')), 'monitor.sqlite');

function open(path = dbPath()): ClientStore {
  const store = openClientStore(path);
  opened.push(store);
  return store;
}

function subscription(store: ClientStore, remoteId: string) {
  return store.saveSubscription({
    fhirBase: BASE,
    remoteId,
    topic: 'topic',
    channel: 'websocket',
    endpoint: null,
    heartbeatSeconds: 10,
    owner: 'Practitioner/nurse-a',
  });
}

describe('alerts outlive the subscription they came through', () => {
  it('a database from before keeps every row, in order, and deleting a subscription no longer erases its alerts', () => {
    // A workstation database as the previous release left it (migrations 1 and 2), with alerts.
    const path = dbPath();
    const db = openDatabase(path);
    migrate(
      db,
      'client',
      CLIENT_MIGRATIONS.filter((m) => m.version <= 2),
    );
    const at = '2026-11-30T10:00:00.000Z';
    db.prepare(
      `INSERT INTO subscriptions (key, fhir_base, remote_id, topic, channel, heartbeat_seconds, owner, cursor,
        created_at, updated_at) VALUES ('k1', ?, 's1', 'topic', 'websocket', 10, 'Practitioner/nurse-a', 3, ?, ?)`,
    ).run(BASE, at, at);
    for (const n of [3, 1, 2]) {
      db.prepare(
        `INSERT INTO events (subscription_key, event_number, focus, occurred_at, received_at, source)
          VALUES ('k1', ?, ?, ?, ?, 'live')`,
      ).run(n, `Observation/o${n}`, at, at);
      db.prepare(
        `INSERT INTO alerts (id, subscription_key, event_number, topic, focus, tier, occurred_at, received_at,
          notify_state, acknowledged_by) VALUES (?, 'k1', ?, 'topic', ?, 'critical', ?, ?, 'notified', NULL)`,
      ).run(`k1:${n}`, n, `Observation/o${n}`, at, at);
    }
    db.close();

    const store = open(path);
    const rows = store.db.prepare<[], { id: string }>('SELECT id FROM alerts ORDER BY rowid').all();
    expect(rows.map((r) => r.id)).toEqual(['k1:3', 'k1:1', 'k1:2']);
    expect(store.alerts.awaitingNotification()).toEqual([]);
    const indexes = store.db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts'",
      )
      .all()
      .map((i) => i.name);
    expect(indexes).toEqual(
      expect.arrayContaining(['alerts_by_received', 'alerts_pending_fetch', 'alerts_open']),
    );

    // Even deleting the subscription row outright cannot take the alerts or the events along.
    expect(() => store.db.prepare("DELETE FROM subscriptions WHERE key = 'k1'").run()).toThrow(/FOREIGN KEY/);
    expect(store.alerts.list(10)).toHaveLength(3);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 3 });
  });

  it('a retired subscription keeps its events and alerts and is no longer offered for reuse', () => {
    const store = open();
    const old = subscription(store, 's1');
    store.commitEvents(
      old.key,
      'topic',
      [{ eventNumber: 1, focus: 'Observation/o1', occurredAt: null }],
      'live',
    );
    expect(store.retireSubscription(old.key)).toBe(true);
    expect(store.findSubscription(BASE, 'topic', 'Practitioner/nurse-a')).toBeNull();
    expect(store.alerts.list(10).map((a) => a.focus)).toEqual(['Observation/o1']);
  });
});

describe('one result, one alert', () => {
  it('the same version through a re-created subscription, or by reconciliation, is a duplicate', () => {
    const store = open();
    const first = subscription(store, 's1');
    const live = store.commitUnsequenced(
      first.key,
      'topic',
      [{ focus: 'Observation/o1', occurredAt: '2026-11-30T10:00:00.100Z', version: 'v1' }],
      'live',
    );
    expect(live.alertIds).toHaveLength(1);
    store.retireSubscription(first.key);
    const second = subscription(store, 's2');
    // Reconciliation reports lastUpdated, the live event its send time: the version decides.
    const again = store.commitUnsequenced(
      second.key,
      'topic',
      [{ focus: 'Observation/o1', occurredAt: '2026-11-30T10:00:00.050Z', version: 'v1' }],
      'recovery',
    );
    expect(again).toMatchObject({ accepted: [], alertIds: [], recheck: [], duplicates: 1 });
    expect(store.alerts.list(10)).toHaveLength(1);
  });

  it('a new version of a result that has an alert marks that alert for a recheck instead of adding one', () => {
    const store = open();
    const sub = subscription(store, 's1');
    const v1 = store.commitUnsequenced(
      sub.key,
      'topic',
      [{ focus: 'Observation/o1', occurredAt: null, version: 'v1' }],
      'live',
    );
    const v2 = store.commitUnsequenced(
      sub.key,
      'topic',
      [{ focus: 'Observation/o1', occurredAt: null, version: 'v2' }],
      'live',
    );
    expect(v2.alertIds).toEqual([]);
    expect(v2.recheck).toEqual(v1.alertIds);
    // The same version again, live (a server that notifies a delete with the last version): a recheck too.
    const repeat = store.commitUnsequenced(
      sub.key,
      'topic',
      [{ focus: 'Observation/o1', occurredAt: null, version: 'v2' }],
      'live',
    );
    expect(repeat).toMatchObject({ duplicates: 1, accepted: [] });
    expect(store.alerts.list(10)).toHaveLength(1);
    expect(store.alerts.awaitingRecheck()).toEqual(v1.alertIds);
  });
});
