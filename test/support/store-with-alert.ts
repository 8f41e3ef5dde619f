// A real client store (a SQLite file in a temporary directory) holding committed, classified alerts
// about Observation/o1, o2, … for Patient/p1, p2, …, as the monitor leaves them: for tests of what
// happens to alerts after they arrived (their lifecycle, their write-back, escalation). Callers close
// the store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openClientStore,
  type ClientStore,
  type ClientStoreOptions,
} from '../../src-main/core/store/client-store.ts';

export const ALERT_RECEIVED_AT = Date.parse('2026-11-22T10:00:00.000Z');

export interface AlertFixture {
  tier?: 'critical' | 'high' | 'info';
  /** The server the alerts' subscription is on (default: nothing listens there). */
  fhirBase?: string;
  /** The result the alert is about (default Observation/o1). */
  focus?: string;
  options?: ClientStoreOptions;
}

export interface AlertsFixture extends Omit<AlertFixture, 'focus'> {
  count: number;
  /** The result alert n (1…count) is about (default Observation/o<n>). */
  focus?: (n: number) => string;
  /** When alert n was received (default ALERT_RECEIVED_AT). */
  receivedAt?: (n: number) => number;
}

export function storeWithAlerts(fixture: AlertsFixture): { store: ClientStore; ids: string[] } {
  const store = openClientStore(
    join(mkdtempSync(join(tmpdir(), 'alerts-')), 'monitor.sqlite'),
    fixture.options ?? {},
  );
  const sub = store.saveSubscription({
    fhirBase: fixture.fhirBase ?? 'http://127.0.0.1:9/fhir',
    remoteId: 'sub-1',
    topic: 'topic',
    channel: 'sse',
    endpoint: null,
    heartbeatSeconds: 30,
    owner: 'Practitioner/nurse-a',
  });
  const numbers = Array.from({ length: fixture.count }, (_, i) => i + 1);
  const received = (n: number) => new Date(fixture.receivedAt?.(n) ?? ALERT_RECEIVED_AT).toISOString();
  store.commitEvents(
    sub.key,
    sub.topic,
    numbers.map((n) => ({
      eventNumber: n,
      focus: fixture.focus?.(n) ?? `Observation/o${n}`,
      occurredAt: received(n),
    })),
    'live',
  );
  const setReceived = store.db.prepare('UPDATE alerts SET received_at = ? WHERE id = ?');
  const ids = numbers.map((n) => {
    const id = `${sub.key}:${n}`;
    setReceived.run(received(n), id);
    store.alerts.saveClassification(
      id,
      {
        tier: fixture.tier ?? 'critical',
        headline: 'Potassium 6.8 mmol/L',
        reason: 'critical high (HH)',
        patientRef: `Patient/p${n}`,
        patientName: 'Ada Lovelace',
        location: null,
        fetchStatus: 'ok',
      },
      true,
    );
    return id;
  });
  return { store, ids };
}

/** One alert about Observation/o1 (or `focus`) for Patient/p1, received at ALERT_RECEIVED_AT. */
export function storeWithAlert(fixture: AlertFixture = {}): { store: ClientStore; id: string } {
  const focus = fixture.focus ?? 'Observation/o1';
  const { store, ids } = storeWithAlerts({ ...fixture, count: 1, focus: () => focus });
  return { store, id: ids[0] ?? '' };
}
