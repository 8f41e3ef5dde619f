import { describe, expect, it } from 'vitest';
import { splitHeadline } from '../../src-renderer/feed/headline.ts';

describe('a result headline in its name and its value', () => {
  it('keeps the value and unit together, whatever the name holds', () => {
    expect(splitHeadline('Glucose 523 mg/dL')).toEqual({ name: 'Glucose', value: '523 mg/dL' });
    expect(splitHeadline('CO2, total 10 mmol/L')).toEqual({ name: 'CO2, total', value: '10 mmol/L' });
    expect(splitHeadline('White blood cells 0.9 ×10³/µL')).toEqual({
      name: 'White blood cells',
      value: '0.9 ×10³/µL',
    });
    expect(splitHeadline('Hemoglobin A1c 9.5 %')).toEqual({ name: 'Hemoglobin A1c', value: '9.5 %' });
    expect(splitHeadline('Troponin I < 0.01 ng/mL')).toEqual({ name: 'Troponin I', value: '< 0.01 ng/mL' });
    expect(splitHeadline('Base excess -12 mmol/L')).toEqual({ name: 'Base excess', value: '-12 mmol/L' });
  });

  it('never loses a part: a number in the name only moves more into the value', () => {
    const parts = splitHeadline('Factor 8 activity 20 %');
    expect(parts).toEqual({ name: 'Factor', value: '8 activity 20 %' });
    expect(`${parts.name} ${parts.value}`).toBe('Factor 8 activity 20 %');
  });

  it('leaves a headline without a value as its name', () => {
    expect(splitHeadline('Blood culture positive')).toEqual({ name: 'Blood culture positive', value: '' });
    expect(splitHeadline('')).toEqual({ name: '', value: '' });
    expect(splitHeadline('25-Hydroxyvitamin D')).toEqual({ name: '25-Hydroxyvitamin D', value: '' });
  });
});
