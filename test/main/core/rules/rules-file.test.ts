// The rules file is validated on load: bad entries are refused with a message naming the entry and its
// line, and a refused reload keeps the previous rules active.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isValidLoinc, parseRulesFile, RulesFileError } from '../../../../src-main/core/rules/rules-file.ts';
import { createRulesHolder } from '../../../../src-main/core/rules/rules-holder.ts';
import { convert } from '../../../../src-main/core/rules/units.ts';

const SHIPPED = join(import.meta.dirname, '../../../../resources/rules/critical-values.json');
const shipped = readFileSync(SHIPPED, 'utf8');

function withThresholds(thresholds: unknown[]): string {
  const file = JSON.parse(shipped) as Record<string, unknown>;
  return JSON.stringify({ ...file, thresholds }, null, 2);
}

const potassium = {
  id: 'potassium',
  analyte: 'Potassium',
  short: 'K',
  loinc: ['2823-3'],
  unit: 'mmol/L',
  low: 2.8,
  high: 6.2,
};

describe('rules file validation', () => {
  it('loads the shipped demo defaults and says they are not clinical advice', () => {
    const rules = parseRulesFile(shipped);
    expect(rules.thresholds.length).toBeGreaterThanOrEqual(15);
    expect(rules.notice).toMatch(/NOT clinical advice/);
    for (const id of [
      'potassium',
      'sodium',
      'glucose',
      'calcium-total',
      'hemoglobin',
      'platelets',
      'inr',
      'troponin-i',
      'lactate',
      'ph-arterial',
    ])
      expect(rules.thresholds.map((t) => t.id)).toContain(id);
  });

  it.each([
    [
      'an unknown unit',
      [{ ...potassium, unit: 'mmol/dl-ish' }],
      /line \d+, threshold "potassium": unknown unit "mmol\/dl-ish"/,
    ],
    [
      'a malformed LOINC code',
      [{ ...potassium, loinc: ['2823'] }],
      /threshold "potassium": malformed LOINC code "2823"/,
    ],
    ['a wrong LOINC check digit', [{ ...potassium, loinc: ['2823-4'] }], /malformed LOINC code "2823-4"/],
    [
      'low above high',
      [{ ...potassium, low: 7, high: 6.2 }],
      /overlapping thresholds: low 7 is not below high 6.2/,
    ],
    [
      'two critical rules for one code',
      [potassium, { ...potassium, id: 'potassium-2', low: 3.0 }],
      /threshold "potassium-2": overlapping thresholds with "potassium" for LOINC 2823-3: both set critical limits/,
    ],
    [
      'a critical band inside the high band',
      [potassium, { ...potassium, id: 'potassium-high', tier: 'high', high: 6.5, low: null }],
      /overlapping thresholds with "potassium".*critical high limit 6.2 is below the high-tier limit 6.5/,
    ],
    ['a rule with no limit', [{ ...potassium, low: null, high: null }], /needs a low or a high limit/],
    ['an unknown field', [{ ...potassium, hihg: 3 }], /threshold "potassium": entry: Unrecognized key/],
    ['a duplicate id', [potassium, { ...potassium, loinc: ['2951-2'] }], /duplicate id "potassium"/],
  ])('refuses %s with a message naming the entry', (_what, thresholds, message) => {
    expect(() => parseRulesFile(withThresholds(thresholds), 'rules.json')).toThrow(message);
  });

  it('names the line of the bad entry', () => {
    const text = withThresholds([
      potassium,
      { ...potassium, id: 'sodium', loinc: ['2951-2'], unit: 'mol/dl' },
    ]);
    const line = text.split('\n').findIndex((l) => l.includes('"id": "sodium"')) + 1;
    expect(() => parseRulesFile(text, 'rules.json')).toThrow(`rules.json line ${line}, threshold "sodium"`);
  });

  it('reports JSON syntax errors with their line', () => {
    expect(() => parseRulesFile('{\n "notice": "x",\n}', 'rules.json')).toThrow(/not valid JSON.*line 3/);
  });

  it('refuses a code listed under two interpretation tiers', () => {
    const file = JSON.parse(shipped) as { interpretationCodes: { high: string[] } };
    file.interpretationCodes.high.push('HH');
    expect(() => parseRulesFile(JSON.stringify(file))).toThrow(/"HH" is listed under both critical and high/);
  });

  it('checks LOINC check digits', () => {
    expect(
      ['2823-3', '2951-2', '2345-7', '718-7', '777-3', '6301-6', '2524-7', '2744-1', '10839-9'].every(
        isValidLoinc,
      ),
    ).toBe(true);
    expect(isValidLoinc('2823-2')).toBe(false);
    expect(isValidLoinc('abc-1')).toBe(false);
  });
});

describe('unit conversion', () => {
  it.each([
    [6.8, 'mEq/L', 'mmol/L', { valence: 1 }, 6.8],
    [5, 'mEq/L', 'mmol/L', { valence: 2 }, 2.5],
    [5.5, 'mmol/L', 'mg/dL', { molarMass: 180.16 }, 99.088],
    [2.5, 'mmol/L', 'mg/dL', { molarMass: 40.08 }, 10.02],
    [70, 'g/L', 'g/dL', {}, 7],
    [500, 'ng/L', 'ng/mL', {}, 0.5],
    [150, '10*9/L', '10*3/uL', {}, 150],
  ])('%d %s -> %s', (value, from, to, bridge, expected) => {
    expect(convert(value, from, to, bridge)).toBeCloseTo(expected, 6);
  });

  it('refuses conversions without the chemistry or between unrelated kinds', () => {
    expect(convert(6.8, 'mEq/L', 'mmol/L')).toBeNull();
    expect(convert(27, 'mg/dL', 'mmol/L')).toBeNull();
    expect(convert(1, 's', 'mmol/L')).toBeNull();
    expect(convert(1, 'furlongs', 'mmol/L')).toBeNull();
  });
});

describe('rules holder', () => {
  it('keeps the previous rules active when a reload is refused, and takes a good file again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const path = join(dir, 'critical-values.json');
    copyFileSync(SHIPPED, path);
    const holder = createRulesHolder(path);
    const before = holder.current();
    writeFileSync(path, withThresholds([{ ...potassium, unit: 'bogus' }]));
    const refused = holder.reload();
    expect(refused.lastError).toMatch(/unknown unit "bogus".*previous rules stay active/);
    expect(holder.current()).toBe(before);
    writeFileSync(path, withThresholds([potassium]));
    expect(holder.reload().lastError).toBeNull();
    expect(holder.current().thresholds).toHaveLength(1);
    expect(holder.status()).toMatchObject({ path, thresholdCount: 1, lastError: null });
  });

  it('refuses to start without a valid rules file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{');
    expect(() => createRulesHolder(path)).toThrow(RulesFileError);
  });

  it('reloads when the file changes on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const path = join(dir, 'critical-values.json');
    copyFileSync(SHIPPED, path);
    const holder = createRulesHolder(path);
    const changed = new Promise((resolve) => {
      const stop = holder.watch((status) => {
        stop();
        resolve(status);
      });
    });
    writeFileSync(path, withThresholds([potassium]));
    await expect(changed).resolves.toMatchObject({ thresholdCount: 1 });
  });
});
