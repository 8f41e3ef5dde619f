// A verification Task as the decision it records: what every pharmacist workstation reads from the
// server to close the alert that asked for the order's verification.
import { describe, expect, it } from 'vitest';
import {
  buildTask,
  readOrderDecision,
  type DecisionRecord,
} from '../../../../src-main/core/pharmacy/decisions.ts';

const record = (decision: DecisionRecord['decision']): DecisionRecord => ({
  order: 'MedicationRequest/m1',
  patient: 'Patient/p1',
  prescriber: 'Practitioner/dr-x',
  pharmacist: 'Practitioner/pharmacist',
  at: '2026-12-02T10:00:00.000Z',
  decision,
  reason: decision === 'verify' ? null : 'a reason',
  medication: 'ondansetron 2 MG/ML Injectable Solution',
  flags: [],
  followUps: [],
});

describe('readOrderDecision', () => {
  it('reads back each decision the workstation writes', () => {
    for (const decision of ['verify', 'reject', 'clarify'] as const) {
      expect(readOrderDecision(buildTask(record(decision)))).toEqual({
        order: 'MedicationRequest/m1',
        decision,
        actor: 'Practitioner/pharmacist',
        at: '2026-12-02T10:00:00.000Z',
      });
    }
  });

  it('takes absolute references as the relative ones the alerts hold', () => {
    const task = {
      ...buildTask(record('verify')),
      focus: { reference: 'https://fhir.example.org/fhir/R4/MedicationRequest/m1' },
      owner: { reference: 'https://fhir.example.org/fhir/R4/Practitioner/pharmacist' },
    };
    expect(readOrderDecision(task)).toMatchObject({
      order: 'MedicationRequest/m1',
      actor: 'Practitioner/pharmacist',
    });
  });

  it('is null for a Task still to do, another kind of Task, one without an owner, or another resource', () => {
    const task = buildTask(record('verify'));
    expect(readOrderDecision({ ...task, status: 'requested' })).toBeNull();
    expect(readOrderDecision({ ...task, code: { coding: [{ system: 'x', code: 'verify' }] } })).toBeNull();
    expect(readOrderDecision({ ...task, owner: undefined })).toBeNull();
    expect(readOrderDecision({ ...task, focus: { reference: 'Observation/o1' } })).toBeNull();
    expect(readOrderDecision({ ...task, lastModified: 'yesterday', authoredOn: undefined })).toBeNull();
    expect(readOrderDecision({ ...task, resourceType: 'Communication' })).toBeNull();
    expect(readOrderDecision('not a resource')).toBeNull();
  });
});
