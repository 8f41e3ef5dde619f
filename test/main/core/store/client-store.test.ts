import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../../src-main/lib/sqlite.ts';
import { openClientStore, type ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { CLIENT_MIGRATIONS } from '../../../../src-main/core/store/schema.ts';
import { RESULT_REPORT_TOPIC } from '../../../../src-main/core/store/result-news.ts';

const opened: ClientStore[] = [];
function freshStore(path = join(mkdtempSync(join(tmpdir(), 'store-')), 'monitor.sqlite')) {
  const store = openClientStore(path);
  opened.push(store);
  return { store, path };
}
afterEach(() => {
  for (const store of opened.splice(0)) {
    try {
      store.close();
    } catch {
      // already closed by the test
    }
  }
});

function subscribe(store: ClientStore) {
  return store.saveSubscription({
    fhirBase: 'http://127.0.0.1:9/fhir',
    remoteId: 'sub-1',
    topic: 'topic',
    channel: 'sse',
    endpoint: 'http://127.0.0.1:9/fhir/Subscription/sub-1/$sse',
    heartbeatSeconds: 30,
    owner: 'Practitioner/nurse-a',
  });
}

const ev = (n: number, focus: string | null = `Observation/o${n}`) => ({
  eventNumber: n,
  focus,
  occurredAt: '2026-11-22T10:00:00.000Z',
});

describe('client store', () => {
  it('commits events, alert rows and the cursor together and keeps them across a reopen', () => {
    const { store, path } = freshStore();
    const sub = subscribe(store);
    const result = store.commitEvents(sub.key, sub.topic, [ev(1), ev(2)], 'live');
    expect(result.accepted.map((e) => e.eventNumber)).toEqual([1, 2]);
    expect(result.cursor).toBe(2);
    store.close();
    const { store: again } = freshStore(path);
    expect(again.getCursor(sub.key)).toBe(2);
    expect(again.alerts.list(10).map((a) => a.eventNumber)).toEqual(['2', '1']);
    expect(again.alerts.get(`${sub.key}:1`)?.fetch).toBe('pending');
  });

  it('caches only what is read back of a fetched result: type, id, version and ward labels, never its value or patient', () => {
    const { store } = freshStore();
    const sub = subscribe(store);
    store.commitEvents(sub.key, sub.topic, [ev(1)], 'live');
    const ward = { system: 'http://example.org/ward', code: 'ward-a' };
    const saved = store.saveEnrichment(
      `${sub.key}:1`,
      {
        tier: 'critical',
        headline: 'Potassium 6.8 mmol/L',
        reason: 'K 6.8 mmol/L > 6.2',
        patientRef: 'Patient/p1',
        patientName: 'Jane Example',
        location: null,
        fetchStatus: 'ok',
      },
      true,
      {
        fhirBase: sub.fhirBase,
        reference: 'Observation/o1',
        resource: {
          resourceType: 'Observation',
          id: 'o1',
          meta: { versionId: '3', lastUpdated: '2026-11-22T10:00:00Z', security: [ward] },
          subject: { reference: 'Patient/p1', display: 'Jane Example' },
          valueQuantity: { value: 6.8, unit: 'mmol/L' },
        },
      },
    );
    expect(saved?.tier).toBe('critical');
    const cached = store.cachedResource(sub.fhirBase, 'Observation/o1');
    expect(cached?.version_id).toBe('3');
    expect(JSON.parse(cached?.json ?? 'null')).toEqual({
      resourceType: 'Observation',
      id: 'o1',
      meta: { versionId: '3', security: [ward] },
    });
    expect(cached?.json).not.toContain('Jane');
    expect(cached?.json).not.toContain('6.8');
  });

  it('reduces the whole results cached before the upgrade to what is read back', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'monitor.sqlite');
    const old = openDatabase(path);
    migrate(old, 'client', CLIENT_MIGRATIONS.slice(0, 8));
    const put = old.prepare(
      'INSERT INTO resource_cache (reference, fhir_base, version_id, fetched_at, json) VALUES (?, ?, ?, ?, ?)',
    );
    const ward = { system: 'http://example.org/ward', code: 'ward-b' };
    put.run(
      'Observation/o1',
      'http://127.0.0.1:9/fhir',
      '2',
      '2026-11-30T10:00:00Z',
      JSON.stringify({
        resourceType: 'Observation',
        id: 'o1',
        meta: { versionId: '2', security: [ward] },
        subject: { reference: 'Patient/p1', display: 'Jane Example' },
        valueQuantity: { value: 6.8, unit: 'mmol/L' },
      }),
    );
    put.run('Observation/o2', 'http://127.0.0.1:9/fhir', null, '2026-11-30T10:00:00Z', 'not json');
    old.close();

    const { store } = freshStore(path);
    expect(
      JSON.parse(store.cachedResource('http://127.0.0.1:9/fhir', 'Observation/o1')?.json ?? 'null'),
    ).toEqual({
      resourceType: 'Observation',
      id: 'o1',
      meta: { versionId: '2', security: [ward] },
    });
    expect(store.cachedResource('http://127.0.0.1:9/fhir', 'Observation/o2')?.json).toBe('{}');
  });

  it('drops duplicates and never moves the cursor backwards', () => {
    const { store } = freshStore();
    const sub = subscribe(store);
    store.commitEvents(sub.key, sub.topic, [ev(1), ev(2), ev(3)], 'live');
    const replay = store.commitEvents(sub.key, sub.topic, [ev(2), ev(3)], 'live');
    expect(replay.accepted).toEqual([]);
    expect(replay.duplicates).toBe(2);
    expect(store.getCursor(sub.key)).toBe(3);
    expect(store.alerts.list(10)).toHaveLength(3);
  });

  it('records a gap for a live jump and closes it when recovery fills the range', () => {
    const { store } = freshStore();
    const sub = subscribe(store);
    store.commitEvents(sub.key, sub.topic, [ev(1)], 'live');
    const jump = store.commitEvents(sub.key, sub.topic, [ev(4)], 'live');
    expect(jump.gap).toEqual({ first: 2, last: 3 });
    expect(store.openGaps(sub.key)).toEqual([{ first: 2, last: 3 }]);
    const recovered = store.commitEvents(sub.key, sub.topic, [ev(2), ev(3)], 'recovery');
    expect(recovered.accepted.map((e) => e.eventNumber)).toEqual([2, 3]);
    expect(store.closeFilledGaps(sub.key)).toBe(1);
    expect(store.openGaps(sub.key)).toEqual([]);
    expect(store.getCursor(sub.key)).toBe(4);
  });

  it('grants the right to notify exactly once, even after a reopen', () => {
    const { store, path } = freshStore();
    const sub = subscribe(store);
    store.commitEvents(sub.key, sub.topic, [ev(1)], 'live');
    const id = `${sub.key}:1`;
    expect(store.alerts.claimNotification(id)).toBe(true);
    expect(store.alerts.claimNotification(id)).toBe(false);
    store.close();
    const { store: again } = freshStore(path);
    expect(again.alerts.claimNotification(id)).toBe(false);
  });

  it('stores events without a focus (empty payloads) but makes no alert row for them', () => {
    const { store } = freshStore();
    const sub = subscribe(store);
    store.commitEvents(sub.key, sub.topic, [ev(1, null)], 'live');
    expect(store.getCursor(sub.key)).toBe(1);
    expect(store.alerts.list(10)).toEqual([]);
  });

  it('commits final-report events with the cursor as news, never as alerts, and drops their replay', () => {
    const { store } = freshStore();
    const sub = subscribe(store);
    const reports = [ev(1, 'DiagnosticReport/r1'), ev(2, 'DiagnosticReport/r2')];
    const first = store.commitEvents(sub.key, RESULT_REPORT_TOPIC, reports, 'live');
    expect(first.accepted.map((e) => e.eventNumber)).toEqual([1, 2]);
    expect(store.getCursor(sub.key)).toBe(2);
    expect(store.alerts.list(10)).toEqual([]);
    // The same events replayed after a reconnect: duplicates, not news again.
    const again = store.commitEvents(sub.key, RESULT_REPORT_TOPIC, reports, 'replay');
    expect(again.accepted).toEqual([]);
    expect(again.duplicates).toBe(2);
  });

  it('pages the feed newest first', () => {
    const { store } = freshStore();
    const sub = subscribe(store);
    store.commitEvents(
      sub.key,
      sub.topic,
      [1, 2, 3, 4, 5].map((n) => ev(n)),
      'live',
    );
    const first = store.alerts.list(2);
    expect(first.map((a) => a.eventNumber)).toEqual(['5', '4']);
    const next = store.alerts.list(2, first[1]?.id);
    expect(next.map((a) => a.eventNumber)).toEqual(['3', '2']);
  });
});
