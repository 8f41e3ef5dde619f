// The simulator's kidney function: the eGFR beside a creatinine is the CKD-EPI 2021 equation's for the
// patient's age and sex (src-main/server/simulator/kidney-function.ts), as the LOINC code it carries says.
import { describe, expect, it } from 'vitest';
import type { StoredResource } from '../../../../src-main/server/base/types.ts';
import {
  ckdEpi2021,
  creatinineForEgfr,
  egfrOfCreatinine,
  kidneyPatient,
  renalPair,
  type KidneyPatient,
} from '../../../../src-main/server/simulator/kidney-function.ts';

const WOMAN_55: KidneyPatient = { ageYears: 55, female: true };
const MAN_60: KidneyPatient = { ageYears: 60, female: false };
const MAN_85: KidneyPatient = { ageYears: 85, female: false };

describe('ckdEpi2021', () => {
  it('gives the published equation’s values', () => {
    // 142 × (0.9/0.7)^−1.200 × 0.9938^55 × 1.012 = 75.5 (the National Kidney Foundation's equation; a
    // worked example with its terms rounded to three places says "about 76").
    expect(ckdEpi2021(0.9, WOMAN_55)).toBeCloseTo(75.5, 1);
    // 142 × (1.0/0.9)^−1.200 × 0.9938^60.
    expect(Math.round(ckdEpi2021(1.0, MAN_60))).toBe(86);
    // Below κ the gentler exponent: 142 × (0.5/0.7)^−0.241 × 0.9938^55 × 1.012.
    expect(ckdEpi2021(0.5, WOMAN_55)).toBeCloseTo(142 * (0.5 / 0.7) ** -0.241 * 0.9938 ** 55 * 1.012, 9);
  });

  it('reads above a dose limit the creatinine clearance is below: docs/pharmacy.md’s example', () => {
    // A woman of 80 and 50 kg at 1.5 mg/dL: eGFR about 35, Cockcroft–Gault 24 mL/min
    // (test/main/core/pharmacy/creatinine-clearance.test.ts computes the clearance).
    expect(Math.round(ckdEpi2021(1.5, { ageYears: 80, female: true }))).toBe(35);
  });

  it('falls as creatinine rises and with age, so one creatinine means less kidney function at 85', () => {
    expect(ckdEpi2021(2, MAN_60)).toBeLessThan(ckdEpi2021(1, MAN_60));
    expect(ckdEpi2021(1.3, MAN_85)).toBeLessThan(ckdEpi2021(1.3, MAN_60));
    // The old stand-in (88 / creatinine) called 1.3 mg/dL at 85 an eGFR of 68; the equation says 54.
    expect(egfrOfCreatinine({ value: 1.3, interpretation: 'H' }, MAN_85)).toEqual({
      value: 54,
      interpretation: 'L',
    });
  });
});

describe('creatinineForEgfr', () => {
  it('is the equation solved for creatinine, on both sides of κ', () => {
    for (const patient of [WOMAN_55, MAN_60, MAN_85, { ageYears: 20, female: true }])
      for (const egfr of [8, 22, 45, 60, 90, 110, 130]) {
        const creatinine = creatinineForEgfr(egfr, patient);
        expect(ckdEpi2021(creatinine, patient)).toBeCloseTo(egfr, 9);
      }
  });
});

describe('renalPair', () => {
  it('keeps the eGFR asked for, with a creatinine that gives it back within one unit', () => {
    for (const patient of [WOMAN_55, MAN_85])
      for (const egfr of [18, 22, 40, 62, 88, 110]) {
        const [creatinine, reported] = renalPair(egfr, patient);
        expect(reported.value).toBe(egfr);
        expect(Math.abs(ckdEpi2021(creatinine.value, patient) - egfr)).toBeLessThanOrEqual(1);
        expect(reported.interpretation).toBe(egfr < 60 ? 'L' : 'N');
      }
  });
});

describe('kidneyPatient', () => {
  const store = (patient: Partial<StoredResource> | null) => ({
    find: () => (patient ? ({ resourceType: 'Patient', id: 'p', ...patient } as StoredResource) : null),
  });

  it('reads age in whole years at the result’s time, and sex, from the patient’s record', () => {
    const woman = store({ gender: 'female', birthDate: '1971-04-04' });
    expect(kidneyPatient(woman, 'p', '2026-04-03T12:00:00Z')).toEqual({ ageYears: 54, female: true });
    expect(kidneyPatient(woman, 'p', '2026-04-04T12:00:00Z')).toEqual({ ageYears: 55, female: true });
  });

  it('takes a middle-aged adult when the record gives no birth date or a sex the equation has no terms for', () => {
    const unknown = { ageYears: 60, female: false };
    expect(kidneyPatient(store(null), 'p', '2026-04-03T12:00:00Z')).toEqual(unknown);
    expect(
      kidneyPatient(store({ gender: 'unknown', birthDate: '1971-04-04' }), 'p', '2026-04-03T12:00:00Z'),
    ).toEqual(unknown);
    expect(kidneyPatient(store({ gender: 'male' }), 'p', '2026-04-03T12:00:00Z')).toEqual(unknown);
  });
});
