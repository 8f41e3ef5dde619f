// What the write-back copies and reads back: ward labels from an untrusted resource, and the queued
// acknowledgment record from the outbox, both through checked accessors.
import { describe, expect, it } from 'vitest';
import { labelsToCopy, parseAckRecord } from '../../../../src-main/core/alerting/writeback.ts';
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
