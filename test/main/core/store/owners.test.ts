// Alert ownership in the store (migration 3) over real SQLite files: every alert belongs to the
// identity its subscription was kept for; one owner's list, counts and audit never include another's;
// rows written before the migration take their subscription's owner.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { ownerKey } from '../../../../src-main/core/store/owners.ts';
import { CLIENT_MIGRATIONS } from '../../../../src-main/core/store/schema.ts';

const BASE = 'http://127.0.0.1:9/fhir';
const A = ownerKey(BASE, 'Practitioner/nurse-a');
const B = ownerKey(BASE, 'Practitioner/nurse-b');
const opened: ClientStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function storeAt(path: string): ClientStore {
  const store = openClientStore(path);
  opened.push(store);
  return store;
}

/** One committed alert for `owner`'s subscription `remoteId`, classified critical; returns its id. */
function alertFor(store: ClientStore, owner: string, remoteId: string, occurredAt: string): string {
  const sub = store.saveSubscription({
    fhirBase: BASE,
    remoteId,
    topic: 'topic',
    channel: 'sse',
    endpoint: null,
    heartbeatSeconds: 30,
    owner,
  });
  const n = store.getCursor(sub.key) + 1;
  store.commitEvents(
    sub.key,
    sub.topic,
    [{ eventNumber: n, focus: `Observation/${remoteId}-${n}`, occurredAt }],
    'live',
  );
  const id = `${sub.key}:${n}`;
  const classification = {
    tier: 'critical' as const,
    headline: 'Potassium 6.8 mmol/L',
    reason: 'critical high (HH)',
    patientRef: 'Patient/p1',
    patientName: 'Ada Lovelace',
    location: 'Ward A bed 7',
    fetchStatus: 'ok' as const,
  };
  store.alerts.saveClassification(id, classification, true);
  return id;
}

describe('alert ownership', () => {
  it('binds each alert to its subscription owner and answers per owner only', () => {
    const store = storeAt(join(mkdtempSync(join(tmpdir(), 'owners-')), 'monitor.sqlite'));
    const a = alertFor(store, 'Practitioner/nurse-a', 'sa', '2026-11-22T10:00:00.000Z');
    const b = alertFor(store, 'Practitioner/nurse-b', 'sb', '2026-11-22T10:01:00.000Z');
    expect(store.alerts.ownerOf(a)).toBe(A);
    expect(store.alerts.ownerOf(b)).toBe(B);
    expect(store.alerts.listFor(A, 10).map((x) => x.id)).toEqual([a]);
    expect(store.alerts.listFor(B, 10).map((x) => x.id)).toEqual([b]);
    // Paging with another owner's row as the anchor gives nothing, not that owner's neighbours.
    expect(store.alerts.listFor(A, 10, b)).toEqual([]);
    expect(store.alerts.counts(A)).toEqual({ open: 1, escalated: 0 });
    expect(store.alerts.counts(null)).toEqual({ open: 0, escalated: 0 });
    expect(store.alerts.counts()).toEqual({ open: 2, escalated: 0 });
    expect(store.alerts.openCriticals(B).map((x) => x.id)).toEqual([b]);
    expect(store.alerts.openFor(A, 10).map((x) => x.location)).toEqual(['Ward A bed 7']);

    store.alerts.markSeen(a, 'Practitioner/nurse-a', Date.parse('2026-11-22T10:02:00.000Z'));
    store.alerts.markSeen(b, 'Practitioner/nurse-b', Date.parse('2026-11-22T10:02:00.000Z'));
    store.alerts.audit(null, 'audit-export', 'Practitioner/nurse-b', '1 rows', Date.now());
    expect(
      store.alerts.auditRowsFor(A, 'Practitioner/nurse-a', undefined, undefined).map((r) => r.alert_id),
    ).toEqual([a]);
    expect(
      store.alerts.auditRowsFor(B, 'Practitioner/nurse-b', undefined, undefined).map((r) => r.action),
    ).toEqual(['state:seen', 'audit-export']);
  });

  it('counts what arrived for an owner after its last sign-out', () => {
    const store = storeAt(join(mkdtempSync(join(tmpdir(), 'owners-')), 'monitor.sqlite'));
    alertFor(store, 'Practitioner/nurse-a', 'sa', '2026-11-22T09:00:00.000Z');
    store.alerts.recordSignOut(A, Date.parse('2026-11-22T09:30:00.000Z'));
    alertFor(store, 'Practitioner/nurse-a', 'sa', '2026-11-22T10:00:00.000Z');
    alertFor(store, 'Practitioner/nurse-b', 'sb', '2026-11-22T10:00:00.000Z');
    const since = store.alerts.lastSignOut(A) ?? '';
    expect(since).toBe('2026-11-22T09:30:00.000Z');
    expect(store.alerts.arrivals(A, since, '2026-11-22T11:00:00.000Z')).toEqual({ alerts: 1, critical: 1 });
    expect(store.alerts.lastSignOut(B)).toBeNull();
  });

  it('gives rows written before the migration their subscription owner (none: owned by nobody)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'owners-')), 'monitor.sqlite');
    const old = openDatabase(path);
    migrate(old, 'client', CLIENT_MIGRATIONS.slice(0, 2));
    const now = new Date().toISOString();
    const insertSub = old.prepare(`INSERT INTO subscriptions (key, fhir_base, remote_id, topic, channel,
      heartbeat_seconds, owner, created_at, updated_at) VALUES (?, ?, ?, 't', 'sse', 30, ?, ?, ?)`);
    insertSub.run(`${BASE}|s1`, BASE, 's1', 'Practitioner/nurse-a', now, now);
    insertSub.run(`${BASE}|s2`, BASE, 's2', null, now, now);
    const insertAlert = old.prepare(`INSERT INTO alerts (id, subscription_key, event_number, topic, focus,
      occurred_at, received_at) VALUES (?, ?, 1, 't', 'Observation/o', ?, ?)`);
    insertAlert.run(`${BASE}|s1:1`, `${BASE}|s1`, now, now);
    insertAlert.run(`${BASE}|s2:1`, `${BASE}|s2`, now, now);
    old.close();

    const store = storeAt(path);
    expect(store.alerts.ownerOf(`${BASE}|s1:1`)).toBe(A);
    expect(store.alerts.ownerOf(`${BASE}|s2:1`)).toBeNull();
    expect(store.alerts.listFor(A, 10).map((x) => x.id)).toEqual([`${BASE}|s1:1`]);
  });
});
