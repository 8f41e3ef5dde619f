// What the write-back copies and reads back: ward labels from an untrusted resource, and the queued
// acknowledgment record from the outbox, both through checked accessors; the acknowledgment on the
// server read back, with its read-back note.
import { describe, expect, it } from 'vitest';
import { readAcknowledgment } from '../../../../src-main/core/alerting/loop-resources.ts';
import {
  buildCommunication,
  isThisRecord,
  labelsToCopy,
  parseAckRecord,
} from '../../../../src-main/core/alerting/writeback.ts';
import { securityLabels } from '../../../../src-main/shared/fhir-json.ts';

describe('write-back records', () => {
  it('copies only present label parts and drops labels without a code', () => {
    const resource = {
      resourceType: 'Observation',
      meta: {
        security: [
          { system: 'http://alert-monitor.local/fhir/CodeSystem/ward', code: 'ward-a' },
          { code: 'ward-b', display: 7 },
          { system: 'x' },
          'ward-c',
        ],
      },
    };
    expect(labelsToCopy(securityLabels(resource))).toEqual([
      { system: 'http://alert-monitor.local/fhir/CodeSystem/ward', code: 'ward-a' },
      { code: 'ward-b' },
    ]);
  });

  it('reads a queued acknowledgment back, and refuses one that is not', () => {
    const record = {
      alertId: 'k:1',
      focus: 'Observation/o1',
      patientRef: 'Patient/p1',
      actor: 'Practitioner/nurse-a',
      at: '2026-11-22T10:00:00.000Z',
      note: null,
      security: [{ code: 'ward-a' }],
    };
    expect(parseAckRecord(JSON.stringify(record))).toEqual(record);
    expect(parseAckRecord('not json')).toBeNull();
    expect(parseAckRecord(JSON.stringify({ ...record, focus: 3 }))).toBeNull();
    expect(parseAckRecord(JSON.stringify([record]))).toBeNull();
  });
});

describe('the acknowledgment record read back', () => {
  const record = {
    alertId: 'k:1',
    focus: 'Observation/o1',
    patientRef: 'Patient/p1',
    actor: 'Practitioner/nurse-a',
    actorName: 'Riley Chen',
    at: '2026-11-22T10:00:00.000Z',
    note: 'K 6.8; read-back: confirmed by Dr Lee',
    security: [],
  };

  it('gives the read-back note as written, even one that contains the marker', () => {
    const fact = readAcknowledgment(buildCommunication(record));
    expect(fact).toMatchObject({
      kind: 'acknowledgment',
      actor: record.actor,
      at: record.at,
      note: record.note,
    });
    expect(isThisRecord(fact ?? { at: '', note: null }, record)).toBe(true);
    expect(isThisRecord({ at: '2026-11-22T10:00:00Z', note: record.note }, record)).toBe(true);
    expect(isThisRecord({ at: record.at, note: 'read back by Dr Ray' }, record)).toBe(false);
  });

  it('has no note when none was recorded, or the record is worded by someone else', () => {
    expect(readAcknowledgment(buildCommunication({ ...record, note: null }))?.note).toBeNull();
    const foreign = {
      ...buildCommunication(record),
      payload: [{ contentString: 'Nurse informed the doctor' }],
    };
    expect(readAcknowledgment(foreign)?.note).toBeNull();
  });
});
