import { describe, expect, it } from 'vitest';
import { classifyObservation, classifyResource } from '../../../../src-main/core/rules/classify.ts';

const potassium = (value: unknown, code = 'mmol/L', interpretation?: string) => ({
  resourceType: 'Observation',
  id: 'k',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }] },
  subject: { reference: 'Patient/p1' },
  valueQuantity: { value, unit: code, system: 'http://unitsofmeasure.org', code },
  ...(interpretation
    ? {
        interpretation: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                code: interpretation,
              },
            ],
          },
        ],
      }
    : {}),
});

describe('classifyObservation', () => {
  it('marks K 6.8 mmol/L with HH critical and names the violated limit', () => {
    const c = classifyObservation(potassium(6.8, 'mmol/L', 'HH'));
    expect(c.tier).toBe('critical');
    expect(c.headline).toBe('Potassium 6.8 mmol/L');
    expect(c.reason).toBe('critical high (HH); limit > 6.2 mmol/L');
    expect(c.patientRef).toBe('Patient/p1');
  });

  it('falls back to the threshold table when the lab sent no interpretation', () => {
    expect(classifyObservation(potassium(2.5)).tier).toBe('critical');
    expect(classifyObservation(potassium(4.1)).tier).toBe('info');
  });

  it('treats mEq/L as mmol/L for potassium', () => {
    expect(classifyObservation(potassium(6.9, 'mEq/L')).reason).toBe('limit > 6.2 mmol/L');
  });

  it('does not compare a value in an unexpected unit against the table', () => {
    expect(classifyObservation(potassium(27, 'mg/dL')).tier).toBe('info');
  });

  it('uses the interpretation code when the value is missing or not a number', () => {
    expect(classifyObservation(potassium('high', 'mmol/L', 'LL')).tier).toBe('critical');
    expect(classifyObservation({ resourceType: 'Observation', code: { text: 'Culture' } }).tier).toBe(
      'unclassified',
    );
  });

  it('maps H/L/A to the informational tier with the reason', () => {
    const c = classifyObservation(potassium(5.4, 'mmol/L', 'H'));
    expect(c).toMatchObject({ tier: 'info', reason: 'high (H)' });
  });
});

describe('classifyResource', () => {
  it('puts stat medication orders in the high tier', () => {
    expect(classifyResource({ resourceType: 'MedicationRequest', priority: 'stat' }).tier).toBe('high');
    expect(classifyResource({ resourceType: 'MedicationRequest', priority: 'routine' }).tier).toBe('info');
  });
});
