import { describe, expect, it } from 'vitest';
import {
  ageFrom,
  bedText,
  dosageOf,
  genericFields,
  interpretationText,
  mrnOf,
  rangeText,
} from '../../src-renderer/fhir/format.ts';
import { reviewValueText, waitState } from '../../src-renderer/fhir/queue.ts';
import { decisionWords } from '../../src-renderer/format/order-decision.ts';
import { explainReason } from '../../src-renderer/state/servers.ts';

describe('FHIR display helpers', () => {
  it('says a decision on an order and whether the server has it (the person goes between)', () => {
    const at = '2026-12-02T13:00:00Z';
    const by = 'Practitioner/pharmacist';
    expect(decisionWords({ decision: 'verify', at, by, state: 'done', error: null, reason: null })).toEqual({
      decided: 'Verified',
      sent: ' — recorded on the server',
    });
    expect(
      decisionWords({ decision: 'reject', at, by, state: 'pending', error: null, reason: 'eGFR 22' }),
    ).toEqual({
      decided: 'Rejected',
      sent: ' — sending to the server…',
    });
    expect(
      decisionWords({ decision: 'clarify', at, by, state: 'failed', error: 'HTTP 503', reason: null }),
    ).toEqual({
      decided: 'Clarification requested',
      sent: ' — not yet accepted by the server (HTTP 503); retrying',
    });
  });

  it('names the bed once: a Location already called a bed is not prefixed again', () => {
    expect(bedText('Ward A bed 24')).toBe('Ward A bed 24');
    expect(bedText('Bed 12')).toBe('Bed 12');
    expect(bedText('4W-12')).toBe('Bed 4W-12');
    expect(bedText('Embedded room')).toBe('Bed Embedded room');
  });

  it('reads patient, range, interpretation and dosage defensively', () => {
    expect(ageFrom('1980-06-15', new Date('2026-06-14T12:00:00'))).toBe(45);
    expect(ageFrom('not a date')).toBeNull();
    expect(mrnOf({ resourceType: 'Patient', identifier: [{ system: 'http://x/mrn', value: 'M1' }] })).toBe(
      'M1',
    );
    expect(rangeText([{ low: { value: 3.5, unit: 'mmol/L' }, high: { value: 5.1, unit: 'mmol/L' } }])).toBe(
      '3.5 mmol/L – 5.1 mmol/L',
    );
    expect(interpretationText([{ coding: [{ code: 'HH', display: 'Critical high' }] }])).toBe(
      'Critical high (HH)',
    );
    expect(
      dosageOf({
        resourceType: 'MedicationRequest',
        dosageInstruction: [
          {
            doseAndRate: [{ doseQuantity: { value: 5, unit: 'mg' } }],
            route: { text: 'oral' },
            timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } },
          },
        ],
      }),
    ).toEqual({ dose: '5 mg', route: 'oral', frequency: '2 × every 1 d', text: null });
  });

  it('never shows narrative in the generic view', () => {
    const fields = genericFields({
      resourceType: 'Basic',
      text: { status: 'generated', div: '<div><script>x</script></div>' },
      code: { text: 'Thing' },
    });
    expect(fields).toEqual([['code', 'Thing']]);
  });

  it('states an order’s wait against its target, and says when it is overdue', () => {
    const item = {
      waitingSince: '2026-01-01T08:00:00Z',
      dueAt: '2026-01-01T08:15:00Z',
      targetMinutes: 15,
    };
    expect(waitState(item, Date.parse('2026-01-01T08:12:00Z'))).toEqual({
      text: 'waiting 12 min · target 15 min',
      overdue: false,
    });
    expect(waitState(item, Date.parse('2026-01-01T08:20:00Z')).overdue).toBe(true);
    // On hold for the prescriber's answer, the pharmacist's target does not run: never OVERDUE.
    expect(waitState(item, Date.parse('2026-01-01T09:20:00Z'), { held: true })).toEqual({
      text: 'waiting for the prescriber · ordered 1 h 20 min ago',
      overdue: false,
    });
    expect(reviewValueText(null, 'eGFR')).toBe('eGFR not recorded');
    // A value read from a server that did not go through the host's checks keeps a readable unit too.
    expect(
      reviewValueText(
        {
          label: 'eGFR',
          reference: 'Observation/g',
          value: 105,
          unit: 'mL/min/{1.73_m2}',
          at: '2026-01-01T08:00:00Z',
          interpretation: null,
        },
        'eGFR',
        Date.parse('2026-01-01T09:00:00Z'),
      ),
    ).toMatch(/^eGFR 105 mL\/min\/1\.73 m² \(/);
  });

  it('explains sign-in failures in plain words', () => {
    expect(explainReason('Sign-in failed: fetch failed')).toMatch(/could not be reached/);
    expect(explainReason('Sign-in failed: access_denied')).toMatch(/refused/);
  });
});
