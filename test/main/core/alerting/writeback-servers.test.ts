// The write-back of an acknowledgment and its resolution against the stand-in for Medplum 5.0.10
// (test/support/fhir-peer.ts: UUID ids only, `updateCreate: false`, conditional create), over real
// loopback HTTP and real SQLite stores: each record is created once, by conditional create, and a second
// workstation acknowledging the same result takes the first one's record instead of writing its own.
// The same flow against a real Medplum is a check of `npm run interop:medplum`.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createWriteback,
  RESOLUTION_KIND,
  WRITEBACK_KIND,
  type AckRecord,
} from '../../../../src-main/core/alerting/writeback.ts';
import type { FhirAccess } from '../../../../src-main/core/fhir/fhir-client.ts';
import { silentLogger } from '../../../../src-main/core/log.ts';
import type { ClientStore } from '../../../../src-main/core/store/client-store.ts';
import { startFhirPeer, TOKEN, type FhirPeer } from '../../../support/fhir-peer.ts';
import { storeWithAlert } from '../../../support/store-with-alert.ts';

const FOCUS = 'Observation/0b7e2f4c-1d2a-4c55-9a1e-6f3c2d1b0a99';
const ACK = 'urn:alert-monitor:acknowledgment';

let peer: FhirPeer;
const stores: ClientStore[] = [];
beforeEach(async () => {
  peer = await startFhirPeer();
});
afterEach(async () => {
  for (const store of stores.splice(0)) store.close();
  await peer.close();
});

const access = (): FhirAccess => ({
  fhirBase: peer.base,
  accessToken: async () => TOKEN,
  onUnauthorized: async () => false,
});

/**
 * A workstation's store with the critical, and `actor`'s acknowledgment of it queued for the server
 * (at `at`, by default now: never later, or the outbox would not send it yet).
 */
function acknowledgedBy(
  actor: string,
  actorName: string,
  { note = 'K 6.8 read back', at = Date.now() }: { note?: string; at?: number } = {},
) {
  const { store, id } = storeWithAlert({ fhirBase: peer.base, focus: FOCUS });
  stores.push(store);
  const record: AckRecord = {
    alertId: id,
    focus: FOCUS,
    patientRef: 'Patient/p1',
    actor,
    actorName,
    at: new Date(at).toISOString(),
    note,
    security: [],
  };
  const request = { kind: WRITEBACK_KIND, fhirBase: peer.base, payload: record, actor };
  expect(store.alerts.acknowledge(id, actor, record.note, request, at, actorName)).toBe(true);
  const writeback = createWriteback({
    alerts: store.alerts,
    accessFor: () => access(),
    logger: silentLogger(),
    onChange: () => undefined,
  });
  return { store, id, record, writeback };
}

const communications = () =>
  peer.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Communication'));

async function recordsOnServer(system: string): Promise<Array<Record<string, unknown>>> {
  const query = new URLSearchParams({ identifier: `${system}|${FOCUS}` });
  const res = await fetch(`${peer.base}/Communication?${query.toString()}`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  const bundle = (await res.json()) as { entry?: Array<{ resource: Record<string, unknown> }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

describe('write-back to a server that assigns its own ids', () => {
  it('acknowledgment and resolution are each created once, by conditional create, with the server’s id', async () => {
    const nurse = acknowledgedBy('Practitioner/nurse-a', 'Riley Chen');
    await nurse.writeback.pump();
    const written = nurse.store.alerts.get(nurse.id)?.lifecycle?.writeback;
    expect(written?.error ?? null).toBeNull();
    expect(written?.state).toBe('done');
    expect(written?.reference).toMatch(/^Communication\/[0-9a-f-]{36}$/);
    expect(communications()[0]?.headers['if-none-exist']).toContain('identifier=');
    expect(peer.requests.some((r) => r.method === 'PUT')).toBe(false);

    const resolvedAt = Date.now();
    const resolution = {
      kind: RESOLUTION_KIND,
      fhirBase: peer.base,
      payload: { ...nurse.record, at: new Date(resolvedAt).toISOString(), note: 'repeat sample ordered' },
      actor: 'Practitioner/nurse-a',
    };
    expect(
      nurse.store.alerts.resolve(
        nurse.id,
        'Practitioner/nurse-a',
        'repeat sample ordered',
        resolvedAt,
        resolution,
      ),
    ).toBe(true);
    await nurse.writeback.pump();
    expect(nurse.store.alerts.dueOutbox(Date.now() + 3_600_000)).toEqual([]);

    const [ack] = await recordsOnServer(ACK);
    const resolutions = await recordsOnServer('urn:alert-monitor:resolution');
    expect((await recordsOnServer(ACK)).length).toBe(1);
    expect(resolutions.length).toBe(1);
    expect(ack?.['sender']).toEqual({ reference: 'Practitioner/nurse-a', display: 'Riley Chen' });
    // The resolution names its acknowledgment by the identifier every writer shares, not a guessed id.
    expect(resolutions[0]?.['inResponseTo']).toEqual([{ identifier: { system: ACK, value: FOCUS } }]);
  });

  it('a second workstation acknowledging the same result takes the first one’s record and writes none', async () => {
    const first = acknowledgedBy('Practitioner/nurse-a', 'Riley Chen');
    await first.writeback.pump();
    const second = acknowledgedBy('Practitioner/nurse-b', 'Morgan Patel');
    await second.writeback.pump();

    expect(await recordsOnServer(ACK)).toHaveLength(1);
    const there = second.store.alerts.get(second.id);
    expect(there?.lifecycle?.writeback.state).toBe('done');
    expect(there?.lifecycle?.writeback.reference).toBe(
      first.store.alerts.get(first.id)?.lifecycle?.writeback.reference,
    );
    expect(there?.lifecycle?.acknowledgedElsewhere).toBe(true);
    expect(there?.lifecycle?.acknowledgedBy).toBe('Practitioner/nurse-a');
    // Her time and read-back, as the server holds them, not the second nurse's.
    expect(there?.lifecycle?.acknowledgedAt).toBe(first.record.at);
    expect(there?.lifecycle?.ackNote).toBe('K 6.8 read back');
  });

  it('the same nurse acknowledging again on a second screen takes her first record’s time and read-back', async () => {
    const first = acknowledgedBy('Practitioner/nurse-a', 'Riley Chen', {
      note: 'read back by Dr Lee',
      at: Date.now() - 2_000,
    });
    await first.writeback.pump();
    const second = acknowledgedBy('Practitioner/nurse-a', 'Riley Chen', { note: 'read back by Dr Ray' });
    await second.writeback.pump();

    expect(await recordsOnServer(ACK)).toHaveLength(1);
    const there = second.store.alerts.get(second.id)?.lifecycle;
    expect(there?.writeback.state).toBe('done');
    expect(there?.acknowledgedAt).toBe(first.record.at);
    expect(there?.ackNote).toBe('read back by Dr Lee');
    expect(there?.acknowledgedElsewhere).toBe(true);
    const audit = second.store.alerts
      .auditRows(undefined, undefined)
      .filter((row) => row.alert_id === second.id);
    expect(audit.map((row) => row.action)).toContain('acknowledgment-superseded');
  });

  it('finding its own record held (a response lost on the way back) changes nothing on this screen', async () => {
    const at = Date.now();
    const first = acknowledgedBy('Practitioner/nurse-a', 'Riley Chen', { at });
    await first.writeback.pump();
    // The same record queued again, as a screen whose first attempt's response never arrived has it.
    const again = acknowledgedBy('Practitioner/nurse-a', 'Riley Chen', { at });
    await again.writeback.pump();

    expect(await recordsOnServer(ACK)).toHaveLength(1);
    const there = again.store.alerts.get(again.id)?.lifecycle;
    expect(there?.writeback.state).toBe('done');
    expect(there?.acknowledgedElsewhere).toBe(false);
    expect(there?.ackNote).toBe('K 6.8 read back');
  });
});
