// Cockcroft–Gault as published: (140 − age) × weight / (72 × serum creatinine in mg/dL), × 0.85 for a
// woman; the units laboratories report it in, the age on the day of the draw, and what it will not guess.
import { describe, expect, it } from 'vitest';
import { cockcroftGault, dosingWeight } from '../../../../src-main/core/pharmacy/creatinine-clearance.ts';
import type { ReviewValue } from '../../../../src-main/shared/api.ts';

const value = (
  label: string,
  v: number | null,
  unit: string | null,
  at: string | null = null,
): ReviewValue => ({
  label,
  reference: `Observation/${label.toLowerCase()}`,
  value: v,
  unit,
  at,
  interpretation: null,
});

const now = new Date('2026-06-01T12:00:00Z');
const man = { birthDate: '1966-01-01', gender: 'male', now };

describe('creatinine clearance (Cockcroft–Gault)', () => {
  it('gives 80 mL/min for a man of 60 and 72 kg at 1.0 mg/dL, 68 for a woman', () => {
    const inputs = { ...man, creatinine: value('Creatinine', 1, 'mg/dL'), weight: value('Weight', 72, 'kg') };
    const result = cockcroftGault(inputs);
    expect(result).toMatchObject({
      computed: true,
      value: { label: 'CrCl', value: 80, unit: 'mL/min', reference: 'Observation/creatinine' },
      inputs: '60 y, male, 72 kg, creatinine 1 mg/dL',
      implicated: ['Observation/creatinine', 'Observation/weight'],
    });
    expect(cockcroftGault({ ...inputs, gender: 'female' })).toMatchObject({ value: { value: 68 } });
  });

  it('gives 24 mL/min for a woman of 80 and 50 kg at 1.5 mg/dL (docs/pharmacy.md’s example)', () => {
    const result = cockcroftGault({
      creatinine: value('Creatinine', 1.5, 'mg/dL', '2026-06-01T07:00:00Z'),
      weight: value('Weight', 50, 'kg'),
      birthDate: '1946-01-01',
      gender: 'female',
      now,
    });
    expect(result).toMatchObject({ computed: true, value: { value: 24 } });
  });

  it('reads creatinine in µmol/L and weight in pounds or grams', () => {
    const clearance = (creatinine: ReviewValue, weight: ReviewValue) => {
      const result = cockcroftGault({ ...man, creatinine, weight });
      return result.computed ? result.value.value : result.missing;
    };
    expect(clearance(value('Creatinine', 88.42, 'µmol/L'), value('Weight', 72, 'kg'))).toBe(80);
    expect(clearance(value('Creatinine', 88.42, 'umol/L'), value('Weight', 158.73, 'lb'))).toBe(80);
    expect(clearance(value('Creatinine', 1, 'mg/dL'), value('Weight', 72_000, 'g'))).toBe(80);
    // mmol/L would be a thousandfold error if read as mg/dL: it is named, not converted by guess.
    expect(clearance(value('Creatinine', 0.088, 'mmol/L'), value('Weight', 72, 'kg'))).toEqual([
      'a creatinine in mg/dL or µmol/L (not 0.088 mmol/L)',
    ]);
  });

  it('takes the age on the day of the creatinine draw', () => {
    const weight = value('Weight', 72, 'kg');
    const drawnOn = (at: string) => {
      const result = cockcroftGault({
        ...man,
        birthDate: '1966-06-01',
        weight,
        creatinine: value('Creatinine', 1, 'mg/dL', at),
      });
      return result.computed ? result.inputs.split(',')[0] : null;
    };
    expect(drawnOn('2026-05-31T23:00:00Z')).toBe('59 y');
    expect(drawnOn('2026-06-01T06:00:00Z')).toBe('60 y');
  });

  it('names every input it lacks, and never computes without the sex the formula has a term for', () => {
    expect(cockcroftGault({ creatinine: null, weight: null, birthDate: null, gender: 'other', now })).toEqual(
      {
        computed: false,
        missing: ['a creatinine', 'a body weight', 'a birth date', 'a sex of female or male'],
        implicated: [],
      },
    );
    const noSex = cockcroftGault({
      ...man,
      gender: null,
      creatinine: value('Creatinine', 1, 'mg/dL'),
      weight: value('Weight', 72, 'kg'),
    });
    expect(noSex).toEqual({
      computed: false,
      missing: ['a sex of female or male'],
      implicated: ['Observation/creatinine', 'Observation/weight'],
    });
  });

  it('uses the adjusted body weight above 120 % of the ideal for the height, the actual weight otherwise', () => {
    // Devine: a woman of 160 cm 45.5 + 2.3 × 2.99 in = 52.4 kg ideal; 120 kg is over 120 % of it:
    // 52.4 + 0.4 × (120 − 52.4) = 79.4 kg.
    expect(dosingWeight(120, 160, 'female')).toEqual({
      kg: expect.closeTo(79.43, 2),
      words: 'adjusted body weight 79.4 kg (actual 120 kg; ideal 52.4 kg for 160 cm)',
      adjusted: true,
    });
    // A man of 180 cm (ideal 75.0 kg) at 80 kg, within 120 %: his actual weight.
    expect(dosingWeight(80, 180, 'male')).toEqual({ kg: 80, words: '80 kg', adjusted: false });
    // Under five feet Devine's formula does not apply; without a height or a sex nothing is adjusted.
    expect(dosingWeight(120, 150, 'female').adjusted).toBe(false);
    expect(dosingWeight(120, null, 'female').adjusted).toBe(false);
    expect(dosingWeight(120, 160, null).adjusted).toBe(false);
  });

  it('reads the height in cm, m or inches, and keeps the actual weight for a height it cannot read', () => {
    const woman = { birthDate: '1981-01-01', gender: 'female', now };
    const at = (height: ReviewValue) =>
      cockcroftGault({
        ...woman,
        creatinine: value('Creatinine', 1.4, 'mg/dL'),
        weight: value('Weight', 120, 'kg'),
        height,
      });
    // 45 y, creatinine 1.4 mg/dL: 64 mL/min from the adjusted 79.4 kg, 96 from the actual 120 kg.
    for (const height of [
      value('Height', 160, 'cm'),
      value('Height', 1.6, 'm'),
      value('Height', 63, '[in_i]'),
    ])
      expect(at(height)).toMatchObject({ computed: true, adjusted: true, value: { value: 64 } });
    expect(at(value('Height', 5.25, '[ft_i]'))).toMatchObject({
      computed: true,
      adjusted: false,
      value: { value: 96 },
    });
  });
});
