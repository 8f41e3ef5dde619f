// A patient's weight comes with a height (for the creatinine clearance's ideal and adjusted body
// weight), fixed by the patient: the seeded sequence the rest of the simulation draws from is untouched.
import { describe, expect, it } from 'vitest';
import {
  BODY_HEIGHT_LOINC,
  BODY_WEIGHT_LOINC,
  contextObservations,
  heightCmFor,
} from '../../../../src-main/server/simulator/pharmacy-context.ts';
import { createRandom } from '../../../../src-main/server/simulator/random.ts';

const who = (patientId: string, female: boolean) => ({
  ward: 'ward-a',
  patientId,
  encounterId: `enc-${patientId}`,
  at: '2026-03-02T09:00:00Z',
  kidney: { ageYears: 70, female },
});

const loinc = (obs: Record<string, unknown>) =>
  (obs['code'] as { coding: { code: string }[] }).coding[0]?.code;

describe('weight and height for the pharmacist', () => {
  it('charts a height in cm beside the weight, the same for a patient every time', () => {
    const observations = contextObservations(createRandom(1), 'weight', who('pt-0007', true), [
      { value: 54, interpretation: 'N' },
    ]);
    expect(observations.map(loinc)).toEqual([BODY_WEIGHT_LOINC, BODY_HEIGHT_LOINC]);
    expect(observations[1]).toMatchObject({
      subject: { reference: 'Patient/pt-0007' },
      valueQuantity: { value: heightCmFor('pt-0007', true), unit: 'cm', code: 'cm' },
      category: [{ coding: [{ code: 'vital-signs' }] }],
    });
    expect(heightCmFor('pt-0007', true)).toBe(heightCmFor('pt-0007', true));
  });

  it('keeps heights within ±12 cm of 163 (women) and 177 (men)', () => {
    for (let n = 1; n <= 200; n += 1) {
      const id = `pt-${String(n).padStart(4, '0')}`;
      expect(Math.abs(heightCmFor(id, true) - 163)).toBeLessThanOrEqual(12);
      expect(Math.abs(heightCmFor(id, false) - 177)).toBeLessThanOrEqual(12);
    }
  });

  it('draws nothing more from the seeded sequence than the weight did', () => {
    const random = createRandom(5);
    contextObservations(random, 'weight', who('pt-0001', false));
    const reference = createRandom(5);
    reference.normal(76, 14);
    expect(random.next()).toBe(reference.next());
  });
});
