// Table-driven rule tests against the shipped rules file (resources/rules/critical-values.json).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyObservation, classifyResource } from '../../../../src-main/core/rules/classify.ts';
import { loadRulesFile } from '../../../../src-main/core/rules/rules-holder.ts';

const rules = loadRulesFile(join(import.meta.dirname, '../../../../resources/rules/critical-values.json'));
const INTERP = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

function obs(loinc: string, value: unknown, unit: string | null, interpretation?: string) {
  return {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
    subject: { reference: 'Patient/p1' },
    encounter: { reference: 'Encounter/e1' },
    ...(value === undefined
      ? {}
      : typeof value === 'number'
        ? {
            valueQuantity: {
              value,
              ...(unit ? { unit, system: 'http://unitsofmeasure.org', code: unit } : {}),
            },
          }
        : { valueString: String(value) }),
    ...(interpretation ? { interpretation: [{ coding: [{ system: INTERP, code: interpretation }] }] } : {}),
  };
}

describe('observation thresholds (demo defaults)', () => {
  const cases: Array<
    [string, string, number | string | undefined, string | null, string | undefined, string, string]
  > = [
    // name, LOINC, value, unit, interpretation, expected tier, expected summary
    ['K high with HH', '2823-3', 6.8, 'mmol/L', 'HH', 'critical', 'K 6.8 mmol/L > 6.2'],
    ['K low, no flag', '2823-3', 2.5, 'mmol/L', undefined, 'critical', 'K 2.5 mmol/L < 2.8'],
    ['K normal', '2823-3', 4.1, 'mmol/L', undefined, 'info', 'Potassium 4.1 mmol/L'],
    ['K in mEq/L', '2823-3', 6.9, 'mEq/L', undefined, 'critical', 'K 6.9 mEq/L > 6.2 mmol/L'],
    ['K whole blood code', '6298-4', 7.1, 'mmol/L', undefined, 'critical', 'K 7.1 mmol/L > 6.2'],
    ['Na low', '2951-2', 118, 'mmol/L', undefined, 'critical', 'Na 118 mmol/L < 120'],
    ['glucose mg/dL high', '2345-7', 500, 'mg/dL', undefined, 'critical', 'Glu 500 mg/dL > 450'],
    [
      'glucose mmol/L low (converted)',
      '2345-7',
      2.2,
      'mmol/L',
      undefined,
      'critical',
      'Glu 2.2 mmol/L < 50 mg/dL',
    ],
    ['glucose mmol/L normal (converted)', '2345-7', 5.5, 'mmol/L', undefined, 'info', 'Glucose 5.5 mmol/L'],
    ['POC glucose', '41653-7', 40, 'mg/dL', undefined, 'critical', 'Glu 40 mg/dL < 50'],
    [
      'calcium mmol/L high (converted)',
      '17861-6',
      3.5,
      'mmol/L',
      undefined,
      'critical',
      'Ca 3.5 mmol/L > 13 mg/dL',
    ],
    ['hemoglobin g/L low (converted)', '718-7', 65, 'g/L', undefined, 'critical', 'Hgb 65 g/L < 7 g/dL'],
    ['platelets low', '777-3', 30, '10*3/uL', undefined, 'critical', 'Plt 30 10*3/uL < 40'],
    ['platelets 10*9/L', '777-3', 1200, '10*9/L', undefined, 'critical', 'Plt 1200 10*9/L > 1000 10*3/uL'],
    ['INR high', '6301-6', 5.5, '{INR}', undefined, 'critical', 'INR 5.5 {INR} > 5'],
    ['lactate at limit (inclusive)', '2524-7', 4.0, 'mmol/L', undefined, 'critical', 'Lac 4 mmol/L ≥ 4'],
    ['pH low', '2744-1', 7.1, '[pH]', undefined, 'critical', 'pH 7.1 [pH] < 7.2'],
    ['troponin is high tier', '10839-9', 0.9, 'ng/mL', undefined, 'high', 'TnI 0.9 ng/mL > 0.4'],
    ['troponin ng/L converted', '10839-9', 900, 'ng/L', undefined, 'high', 'TnI 900 ng/L > 0.4 ng/mL'],
    ['unknown test, HH flag', '9999-4', 3, 'mmol/L', 'HH', 'critical', 'Observation 3 mmol/L (HH)'],
    ['H flag only', '2823-3', 5.4, 'mmol/L', 'H', 'info', 'Potassium 5.4 mmol/L'],
    ['HU flag is high tier', '2823-3', 5.9, 'mmol/L', 'HU', 'high', 'K 5.9 mmol/L (HU)'],
    ['local table raises a lab H flag', '2823-3', 6.5, 'mmol/L', 'H', 'critical', 'K 6.5 mmol/L > 6.2'],
    ['no value, LL flag', '2823-3', undefined, null, 'LL', 'critical', 'K (LL)'],
    ['string value, no flag', '2823-3', 'hemolysed', null, undefined, 'unclassified', 'Potassium'],
    ['no value, no flag', '2823-3', undefined, null, undefined, 'unclassified', 'Potassium'],
    ['unexpected unit, no flag', '2823-3', 27, 'mg/dL', undefined, 'unclassified', 'Potassium 27 mg/dL'],
    ['unknown unit, no flag', '2823-3', 27, 'furlongs', undefined, 'unclassified', 'Potassium 27 furlongs'],
    ['unexpected unit, HH flag', '2823-3', 27, 'mg/dL', 'HH', 'critical', 'K 27 mg/dL (HH)'],
  ];
  it.each(cases)('%s', (_name, loinc, value, unit, interpretation, tier, summary) => {
    const c = classifyObservation(obs(loinc, value, unit, interpretation), rules);
    expect(c.tier).toBe(tier);
    expect(c.summary).toBe(summary);
  });

  it('names the violated limit and the lab flag in the reason, and keeps patient and encounter', () => {
    const c = classifyObservation(obs('2823-3', 6.8, 'mmol/L', 'HH'), rules);
    expect(c).toMatchObject({
      headline: 'Potassium 6.8 mmol/L',
      reason: 'critical high (HH); limit > 6.2 mmol/L',
      ruleId: 'interpretation:HH',
      patientRef: 'Patient/p1',
      encounterRef: 'Encounter/e1',
    });
    expect(classifyObservation(obs('2823-3', 2.5, 'mmol/L'), rules).ruleId).toBe('threshold:potassium');
  });

  it('explains why an unexpected unit could not be compared', () => {
    expect(classifyObservation(obs('2823-3', 27, 'mg/dL'), rules).reason).toBe(
      'unit "mg/dL" is not comparable with mmol/L for Potassium',
    );
  });

  it('does not alert on cancelled or entered-in-error results', () => {
    const c = classifyObservation(
      { ...obs('2823-3', 7.5, 'mmol/L', 'HH'), status: 'entered-in-error' },
      rules,
    );
    expect(c.tier).toBe('info');
  });

  it('never throws on odd shapes', () => {
    const odd = [
      { resourceType: 'Observation' },
      { resourceType: 'Observation', code: 'x', valueQuantity: 'y', interpretation: 'z' },
      { resourceType: 'Observation', code: { coding: [null, 3] }, valueQuantity: { value: Number.NaN } },
      { resourceType: 'Observation', interpretation: [{ text: 'Critical value, called to ward' }] },
    ];
    for (const r of odd) expect(() => classifyResource(r, rules)).not.toThrow();
    expect(classifyResource(odd[3] as never, rules).tier).toBe('critical');
  });
});

describe('other resources', () => {
  it.each([
    ['stat', 'high'],
    ['asap', 'high'],
    ['urgent', 'high'],
    ['routine', 'info'],
  ])('MedicationRequest priority %s -> %s', (priority, tier) => {
    const c = classifyResource(
      {
        resourceType: 'MedicationRequest',
        priority,
        medicationCodeableConcept: { text: 'Heparin' },
        subject: { reference: 'Patient/p' },
      },
      rules,
    );
    expect(c.tier).toBe(tier);
    expect(c.headline).toBe(`Heparin (${priority})`);
  });

  it.each([
    [{ status: 'in-progress', location: [{}] }, 'Admission'],
    [{ status: 'in-progress', location: [{}, {}] }, 'Transfer'],
    [{ status: 'finished', location: [{}] }, 'Discharge'],
  ])('Encounter %j is informational: %s', (fields, headline) => {
    const c = classifyResource({ resourceType: 'Encounter', id: 'e', ...fields }, rules);
    expect(c).toMatchObject({ tier: 'info', headline });
  });

  it('keeps unknown resource types informational', () => {
    expect(classifyResource({ resourceType: 'Flag' }, rules).tier).toBe('info');
  });
});
