// The order-checks file (resources/rules/order-checks.json): the shipped file parses and says it is not
// clinical advice; a bad file is refused with a message naming the entry, and a reload that fails keeps
// the previous checks active and says why.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOrderChecks } from '../../../../src-main/core/rules/order-checks-file.ts';
import { createOrderChecksHolder } from '../../../../src-main/core/rules/order-checks-holder.ts';

const SHIPPED = resolve(import.meta.dirname, '../../../../resources/rules/order-checks.json');
const text = readFileSync(SHIPPED, 'utf8');
const shipped = (): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
const withChange = (change: (file: Record<string, unknown>) => void): string => {
  const file = shipped();
  change(file);
  return JSON.stringify(file);
};
const list = (file: Record<string, unknown>, key: string) => file[key] as Record<string, unknown>[];

describe('the order-checks file', () => {
  it('ships valid, with every kind of check, labelled not clinical advice', () => {
    const checks = parseOrderChecks(text);
    expect(checks.notice).toMatch(/NOT clinical advice/);
    expect(checks.allergyClasses.length).toBeGreaterThan(0);
    expect(checks.duplicateTherapy.length).toBeGreaterThan(0);
    expect(checks.interactions.length).toBeGreaterThan(0);
    expect(checks.labs.length).toBeGreaterThan(0);
    expect(checks.renal.length).toBeGreaterThan(0);
    for (const entry of [...checks.allergyClasses, ...checks.interactions, ...checks.renal]) {
      expect(entry.source.length).toBeGreaterThan(10);
    }
  });

  it('refuses what is not JSON, an unknown drug class, a malformed LOINC, a check without a limit (or a renal check with two) and a duplicate id', () => {
    expect(() => parseOrderChecks('{ "version": 1,', 'f')).toThrow(/f: not valid JSON/);
    expect(() =>
      parseOrderChecks(
        withChange((f) => ((list(f, 'renal')[0] as Record<string, unknown>)['drugClass'] = 'nope')),
        'f',
      ),
    ).toThrow(/renal "enoxaparin-renal": unknown drug class "nope"/);
    expect(() =>
      parseOrderChecks(
        withChange((f) => ((list(f, 'labs')[0] as Record<string, unknown>)['loinc'] = ['1234-5'])),
        'f',
      ),
    ).toThrow(/labs "inr-warfarin": malformed LOINC code "1234-5"/);
    expect(() =>
      parseOrderChecks(
        withChange((f) => delete (list(f, 'labs')[0] as Record<string, unknown>)['flagAbove']),
        'f',
      ),
    ).toThrow(/labs "inr-warfarin": needs flagAbove or flagBelow/);
    expect(() =>
      parseOrderChecks(
        withChange((f) => ((list(f, 'renal')[1] as Record<string, unknown>)['id'] = 'enoxaparin-renal')),
        'f',
      ),
    ).toThrow(/duplicate id/);
    // A renal limit is on the eGFR or on the creatinine clearance: one, never none or two.
    expect(() =>
      parseOrderChecks(
        withChange((f) => ((list(f, 'renal')[0] as Record<string, unknown>)['egfrBelow'] = 30)),
        'f',
      ),
    ).toThrow(/renal "enoxaparin-renal": needs exactly one of egfrBelow, crclBelow or crclAtMost/);
    expect(() =>
      parseOrderChecks(
        withChange((f) => delete (list(f, 'renal')[0] as Record<string, unknown>)['crclBelow']),
        'f',
      ),
    ).toThrow(/renal "enoxaparin-renal": needs exactly one/);
    expect(() =>
      parseOrderChecks(
        withChange((f) => (f['surprise'] = true)),
        'f',
      ),
    ).toThrow(/f: /);
  });

  it('a reload of a broken file keeps the previous checks and reports why', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'checks-')), 'order-checks.json');
    writeFileSync(path, text);
    const holder = createOrderChecksHolder(path);
    const before = holder.current();
    writeFileSync(path, '{ broken');
    const status = holder.reload();
    expect(status.lastError).toMatch(/not valid JSON.*previous checks stay active/);
    expect(holder.current()).toBe(before);
    writeFileSync(path, text);
    expect(holder.reload().lastError).toBeNull();
  });
});
