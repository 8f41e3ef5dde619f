// The order checks as a pure function over the shipped order-checks file: class matching by code or
// name, only active allergies, the latest value of a lab, no renal flag without a kidney value.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../../../src-main/core/pharmacy/checks.ts';
import { parseOrderChecks } from '../../../../src-main/core/rules/order-checks-file.ts';
import type { FhirResource } from '../../../../src-main/shared/api.ts';

const checks = parseOrderChecks(
  readFileSync(resolve(import.meta.dirname, '../../../../resources/rules/order-checks.json'), 'utf8'),
);

const order = (id: string, text: string, rxnorm?: string): FhirResource => ({
  resourceType: 'MedicationRequest',
  id,
  medicationCodeableConcept: {
    ...(rxnorm ? { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: rxnorm }] } : {}),
    text,
  },
});
const lab = (id: string, loinc: string, value: number, at: string, unit = 'x'): FhirResource => ({
  resourceType: 'Observation',
  id,
  code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
  valueQuantity: { value, unit },
  effectiveDateTime: at,
});
const allergy = (id: string, text: string, status: string, criticality: string): FhirResource => ({
  resourceType: 'AllergyIntolerance',
  id,
  clinicalStatus: { coding: [{ code: status }] },
  criticality,
  code: { text },
  reaction: [{ manifestation: [{ text: 'Rash' }] }],
});

/** The checks of an order with no allergies and no other orders: what its labs and patient say. */
const alone = (
  drug: FhirResource,
  observations: FhirResource[] = [],
  patient: { birthDate: string | null; gender: string | null } | null = null,
) => runChecks({ order: drug, allergies: [], otherOrders: [], observations, patient }, checks);

describe('order checks', () => {
  it('classes a drug by its name when it carries no RxNorm code, and uses the latest INR', () => {
    const result = runChecks(
      {
        order: order('w', 'Warfarin 3 mg tablet'),
        allergies: [],
        otherOrders: [],
        observations: [
          lab('old', '6301-6', 5.2, '2026-01-01T08:00:00Z'),
          lab('new', '6301-6', 2.1, '2026-01-02T08:00:00Z'),
        ],
      },
      checks,
    );
    expect(result.labs).toEqual([
      expect.objectContaining({ label: 'INR', value: 2.1, reference: 'Observation/new' }),
    ]);
    expect(result.flags).toEqual([]);
  });

  it('flags only active allergies, moderate when their criticality is low', () => {
    const result = runChecks(
      {
        order: order('i', 'ibuprofen 200 MG Oral Tablet', '310965'),
        allergies: [
          allergy('gone', 'Ibuprofen', 'resolved', 'high'),
          allergy('now', 'NSAID', 'active', 'low'),
        ],
        otherOrders: [],
        observations: [],
      },
      checks,
    );
    const allergyFlags = result.flags.filter((f) => f.kind === 'allergy');
    expect(allergyFlags.map((f) => [f.kind, f.severity, f.implicated])).toEqual([
      ['allergy', 'moderate', ['AllergyIntolerance/now']],
    ]);
  });

  it('words an allergy whose recorded name already says "allergy" (as clinicians and SNOMED name them) once', () => {
    const amoxicillin = order('x', 'amoxicillin 500 MG Oral Capsule', '308182');
    const detailFor = (text: string) =>
      runChecks(
        {
          order: amoxicillin,
          allergies: [allergy('p', text, 'active', 'high')],
          otherOrders: [],
          observations: [],
        },
        checks,
      )
        .flags.filter((f) => f.kind === 'allergy')
        .map((f) => f.detail);
    expect(detailFor('Penicillin allergy')).toEqual(['Penicillin allergy: Rash, criticality high']);
    expect(detailFor('Allergy to penicillin')).toEqual(['Allergy to penicillin: Rash, criticality high']);
    expect(detailFor('Penicillin')).toEqual(['Penicillin allergy: Rash, criticality high']);
  });

  it('flags a renal check that could not run for want of a kidney value, and a value below the drug’s limit', () => {
    const ibuprofen = order('i', 'ibuprofen 400 MG Oral Tablet', '310965');
    const none = alone(ibuprofen);
    expect(none.egfr).toBeNull();
    // A blank check must not read as a passed one: it is a flag, to be overridden with a reason.
    expect(none.flags).toEqual([
      expect.objectContaining({
        id: 'nsaid-renal:not-recorded',
        kind: 'renal',
        severity: 'moderate',
        text: 'Renal dose not checked: no eGFR on record',
      }),
    ]);
    const low = alone(ibuprofen, [lab('g', '98979-8', 25, '2026-01-01T08:00:00Z')]);
    expect(low.flags.map((f) => f.id)).toEqual(['nsaid-renal']);
  });

  it('says when the eGFR a renal dose was checked against is older than the newest creatinine', () => {
    const ibuprofen = order('i', 'ibuprofen 400 MG Oral Tablet', '310965');
    const run = (observations: FhirResource[]) => alone(ibuprofen, observations);
    const egfr = lab('g', '98979-8', 70, '2026-01-01T08:00:00Z');
    // A later draw reported its creatinine without an eGFR: the eGFR above the limit may no longer hold.
    const later = run([egfr, lab('c', '2160-0', 2.4, '2026-01-02T06:00:00Z')]);
    expect(later.flags).toEqual([
      expect.objectContaining({
        id: 'nsaid-renal:newer-creatinine',
        kind: 'renal',
        severity: 'moderate',
        detail: 'Creatinine 2.4 x, later than the eGFR 70 x checked',
        at: '2026-01-02T06:00:00Z',
        implicated: ['Observation/c', 'Observation/g'],
      }),
    ]);
    // Below the limit too: both are said.
    const low = run([
      lab('g', '98979-8', 25, '2026-01-01T08:00:00Z'),
      lab('c', '2160-0', 1.1, '2026-01-02T06:00:00Z'),
    ]);
    expect(low.flags.map((f) => f.id)).toEqual(['nsaid-renal', 'nsaid-renal:newer-creatinine']);
    // The same draw, and an earlier instant written with another offset (later as text): nothing to say.
    expect(run([egfr, lab('c', '2160-0', 0.9, '2026-01-01T08:00:00Z')]).flags).toEqual([]);
    expect(run([egfr, lab('c', '2160-0', 0.9, '2026-01-01T09:30:00+02:00')]).flags).toEqual([]);
    // No eGFR at all: the check that could not run names the creatinine there is.
    expect(run([lab('c', '2160-0', 2.4, '2026-01-02T06:00:00Z')]).flags).toEqual([
      expect.objectContaining({
        id: 'nsaid-renal:not-recorded',
        detail: expect.stringMatching(/needs an eGFR .*; newest Creatinine 2\.4 x$/),
        at: '2026-01-02T06:00:00Z',
        implicated: ['Observation/c'],
      }),
    ]);
  });

  it('words units as people read them, in the values and in the flags written back', () => {
    const withUnit = (resource: FhirResource, unit: string): FhirResource => ({
      ...resource,
      valueQuantity: { value: (resource['valueQuantity'] as { value: number }).value, unit },
    });
    const low = runChecks(
      {
        order: order('i', 'ibuprofen 400 MG Oral Tablet', '310965'),
        allergies: [],
        otherOrders: [],
        observations: [withUnit(lab('g', '98979-8', 25, '2026-01-01T08:00:00Z'), 'mL/min/{1.73_m2}')],
      },
      checks,
    );
    expect(low.egfr?.unit).toBe('mL/min/1.73 m²');
    // The time of the value is its own field, shown in the reader's time zone by the page.
    expect(low.flags[0]).toMatchObject({ detail: 'eGFR 25 mL/min/1.73 m²', at: '2026-01-01T08:00:00Z' });
    const warfarin = (observations: FhirResource[]) =>
      runChecks(
        { order: order('w', 'Warfarin 3 mg tablet'), allergies: [], otherOrders: [], observations },
        checks,
      );
    const inr = warfarin([withUnit(lab('i', '6301-6', 5.2, '2026-01-01T08:00:00Z'), '{INR}')]);
    expect(inr.labs[0]?.unit).toBe('INR');
    expect(inr.flags.map((f) => f.detail).join(' ')).not.toContain('{');
    // Not measured yet: the unit the check expects, worded the same way, and a flag saying so.
    expect(warfarin([]).labs[0]).toMatchObject({ value: null, unit: 'INR' });
    expect(warfarin([]).flags).toEqual([
      expect.objectContaining({
        id: 'inr-warfarin:not-recorded',
        kind: 'lab',
        severity: 'moderate',
        text: 'Lab not checked: no INR on record (INR above 3.5 on warfarin)',
        at: null,
      }),
    ]);
  });

  it('flags duplicate therapy and an interaction once per other order', () => {
    const result = runChecks(
      {
        order: order('h', 'heparin', '1361615'),
        allergies: [],
        otherOrders: [
          order('w', 'warfarin sodium 5 MG Oral Tablet', '855332'),
          order('a', 'amlodipine', '197361'),
        ],
        observations: [],
      },
      checks,
    );
    expect(result.flags.map((f) => f.id)).toEqual(['anticoagulants:w']);
  });

  it('says a flag once when two records raise the same words, naming both records', () => {
    const result = runChecks(
      {
        order: order('p', 'piperacillin 4000 MG / tazobactam 500 MG Injection'),
        allergies: [
          allergy('a1', 'Penicillin', 'active', 'high'),
          allergy('a2', 'Penicillin', 'active', 'high'),
        ],
        otherOrders: [],
        observations: [
          lab('c', '2160-0', 0.9, '2026-01-01T08:00:00Z', 'mg/dL'),
          lab('w', '29463-7', 70, '2026-01-01T08:00:00Z', 'kg'),
        ],
        patient: { birthDate: '1970-03-02', gender: 'female' },
      },
      checks,
    );
    expect(result.flags).toEqual([
      expect.objectContaining({
        kind: 'allergy',
        implicated: ['AllergyIntolerance/a1', 'AllergyIntolerance/a2'],
      }),
    ]);
  });

  it('checks a drug labelled by creatinine clearance against Cockcroft–Gault, not the eGFR', () => {
    const enoxaparin = order('e', 'enoxaparin sodium 40 MG/0.4ML Prefilled Syringe', '205923');
    const patient = { birthDate: '1946-05-10', gender: 'female' };
    // 80 y, 50 kg, creatinine 1.5 mg/dL: (140 − 80) × 50 / (72 × 1.5) × 0.85 = 23.6 mL/min, while the
    // laboratory's eGFR of 35 is above the label's 30: the eGFR would have let the full dose through.
    const observations = [
      lab('g', '98979-8', 35, '2026-06-01T07:00:00Z', 'mL/min/{1.73_m2}'),
      lab('c', '2160-0', 1.5, '2026-06-01T07:00:00Z', 'mg/dL'),
      lab('w', '29463-7', 50, '2026-05-30T09:00:00Z', 'kg'),
    ];
    const low = alone(enoxaparin, observations, patient);
    expect(low.crcl).toMatchObject({ label: 'CrCl', value: 24, unit: 'mL/min', reference: 'Observation/c' });
    expect(low.flags).toEqual([
      expect.objectContaining({
        id: 'enoxaparin-renal',
        kind: 'renal',
        severity: 'high',
        text: 'Renal dose: CrCl below 30 mL/min: enoxaparin prophylaxis is 30 mg once daily',
        detail: 'CrCl 24 mL/min by Cockcroft–Gault (80 y, female, 50 kg, creatinine 1.5 mg/dL)',
        at: '2026-06-01T07:00:00Z',
        implicated: ['Observation/c', 'Observation/w'],
      }),
    ]);
    // The same values for a man of 90 kg: 50 mL/min, nothing to flag.
    const heavier = alone(
      enoxaparin,
      [...observations.slice(0, 2), lab('w', '29463-7', 90, '2026-05-30T09:00:00Z', 'kg')],
      { ...patient, gender: 'male' },
    );
    expect(heavier.crcl?.value).toBe(50);
    expect(heavier.flags).toEqual([]);
  });

  it('doses an obese patient by the adjusted body weight: a flag the actual weight would have missed', () => {
    const enoxaparin = order('e', 'enoxaparin sodium 40 MG/0.4ML Prefilled Syringe', '205923');
    const patient = { birthDate: '1956-01-01', gender: 'female' };
    // 70 y, 110 kg, creatinine 2.6 mg/dL: by the actual weight (140 − 70) × 110 / (72 × 2.6) × 0.85 =
    // 35 mL/min, above the label's 30. At 160 cm her ideal weight is 52.4 kg and 110 kg is over 120 % of
    // it: the adjusted weight 52.4 + 0.4 × (110 − 52.4) = 75.4 kg gives 24 mL/min.
    const observations = [
      lab('c', '2160-0', 2.6, '2026-06-01T07:00:00Z', 'mg/dL'),
      lab('w', '29463-7', 110, '2026-05-30T09:00:00Z', 'kg'),
      lab('h', '8302-2', 160, '2026-05-30T09:00:00Z', 'cm'),
    ];
    const result = alone(enoxaparin, observations, patient);
    expect(result.crcl?.value).toBe(24);
    expect(result.crclAdjusted).toBe(true);
    expect(result.height).toMatchObject({ label: 'Height', value: 160, reference: 'Observation/h' });
    expect(result.flags).toEqual([
      expect.objectContaining({
        id: 'enoxaparin-renal',
        detail:
          'CrCl 24 mL/min by Cockcroft–Gault (70 y, female, adjusted body weight 75.4 kg (actual 110 kg; ideal 52.4 kg for 160 cm), creatinine 2.6 mg/dL)',
        implicated: ['Observation/c', 'Observation/w', 'Observation/h'],
      }),
    ]);
    // Without a height the actual weight stands (35 mL/min, no flag), as before heights were read.
    const noHeight = alone(enoxaparin, observations.slice(0, 2), patient);
    expect(noHeight.crcl?.value).toBe(35);
    expect(noHeight.crclAdjusted).toBe(false);
    expect(noHeight.flags).toEqual([]);
  });

  it('flags a clearance check that could not run, naming each thing Cockcroft–Gault lacks', () => {
    const enoxaparin = order('e', 'enoxaparin sodium 40 MG/0.4ML Prefilled Syringe', '205923');
    const creatinine = lab('c', '2160-0', 1.1, '2026-06-01T07:00:00Z', 'mg/dL');
    const noWeight = alone(enoxaparin, [creatinine], { birthDate: null, gender: 'unknown' });
    expect(noWeight.crcl).toBeNull();
    expect(noWeight.flags).toEqual([
      expect.objectContaining({
        id: 'enoxaparin-renal:not-recorded',
        kind: 'renal',
        severity: 'moderate',
        text: 'Renal dose not checked: no creatinine clearance',
        detail:
          'The dose check needs a creatinine clearance (CrCl below 30 mL/min: enoxaparin prophylaxis is 30 mg ' +
          'once daily); Cockcroft–Gault needs a body weight, a birth date, a sex of female or male',
        at: '2026-06-01T07:00:00Z',
        implicated: ['Observation/c'],
      }),
    ]);
    // A weight in a unit it cannot read is named with that unit, never taken for kilograms.
    const stones = alone(
      enoxaparin,
      [creatinine, lab('w', '29463-7', 11, '2026-06-01T07:00:00Z', '[stone_av]')],
      {
        birthDate: '1950-01-01',
        gender: 'male',
      },
    );
    expect(stones.flags.map((f) => f.detail)).toEqual([
      expect.stringMatching(/Cockcroft–Gault needs a body weight in kg \(not 11 stone_av\)$/),
    ]);
  });

  it('compares the whole mL/min the pharmacist reads: "40 or less" flags 40, not 41', () => {
    const piperacillin = order('p', 'piperacillin 4000 MG / tazobactam 500 MG Injection');
    // 60 y man, creatinine 2.0 mg/dL: (80 × kg) / 144, so 72 kg gives 40 mL/min and 74 kg 41.1.
    const at = (kg: number) =>
      alone(
        piperacillin,
        [
          lab('c', '2160-0', 2, '2026-06-01T07:00:00Z', 'mg/dL'),
          lab('w', '29463-7', kg, '2026-06-01T07:00:00Z', 'kg'),
        ],
        { birthDate: '1966-01-01', gender: 'male' },
      );
    expect(at(72).crcl?.value).toBe(40);
    expect(at(72).flags.map((f) => f.id)).toEqual(['piperacillin-renal']);
    expect(at(74).crcl?.value).toBe(41);
    expect(at(74).flags).toEqual([]);
  });

  it('flags another active order for the same drug as a duplicate order', () => {
    const result = runChecks(
      {
        order: order('p1', 'amlodipine 5 MG Oral Tablet', '197361'),
        allergies: [],
        otherOrders: [
          order('p2', 'amlodipine 5 MG Oral Tablet', '197361'),
          order('p3', 'Amlodipine 5 mg oral tablet'),
          order('x', 'atorvastatin 20 MG Oral Tablet', '617312'),
        ],
        observations: [],
      },
      checks,
    );
    expect(result.flags.map((f) => [f.id, f.kind, f.implicated])).toEqual([
      ['same-drug:p2', 'duplicate', ['MedicationRequest/p2']],
      ['same-drug:p3', 'duplicate', ['MedicationRequest/p3']],
    ]);
    expect(result.flags[0]).toMatchObject({
      text: 'Duplicate order: the same drug is already ordered',
      detail: 'Also active: amlodipine 5 MG Oral Tablet',
    });
  });
});
