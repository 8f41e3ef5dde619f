// A real client store (a SQLite file in a temporary directory) holding one committed, classified alert
// about Observation/o1 for Patient/p1, as the monitor leaves it: for tests of what happens to an alert
// after it arrived (its lifecycle, its write-back). Callers close the store.
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
  tier?: 'critical' | 'info';
  /** The server the alert's subscription is on (default: nothing listens there). */
  fhirBase?: string;
  /** The result the alert is about (default Observation/o1). */
  focus?: string;
  options?: ClientStoreOptions;
}

export function storeWithAlert(fixture: AlertFixture = {}): { store: ClientStore; id: string } {
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
  store.commitEvents(
    sub.key,
    sub.topic,
    [
      {
        eventNumber: 1,
        focus: fixture.focus ?? 'Observation/o1',
        occurredAt: new Date(ALERT_RECEIVED_AT).toISOString(),
      },
    ],
    'live',
  );
  const id = `${sub.key}:1`;
  store.db
    .prepare('UPDATE alerts SET received_at = ? WHERE id = ?')
    .run(new Date(ALERT_RECEIVED_AT).toISOString(), id);
  store.alerts.saveClassification(
    id,
    {
      tier: fixture.tier ?? 'critical',
      headline: 'Potassium 6.8 mmol/L',
      reason: 'critical high (HH)',
      patientRef: 'Patient/p1',
      patientName: 'Ada Lovelace',
      location: null,
      fetchStatus: 'ok',
    },
    true,
  );
  return { store, id };
}
