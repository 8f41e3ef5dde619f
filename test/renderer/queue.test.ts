// The worklist's j/k (src-renderer/hooks/useWorklistKeys.ts): which order the next key press opens
// (src-renderer/fhir/queue.ts `orderAfter`), and how a prescriber's answer is headed (`answerHeading`).
import { describe, expect, it } from 'vitest';
import { answerHeading, orderAfter } from '../../src-renderer/fhir/queue.ts';
import { timeText } from '../../src-renderer/format/time.ts';

const ORDERS = ['MedicationRequest/a', 'MedicationRequest/b', 'MedicationRequest/c'];

describe('orderAfter', () => {
  it('starts at the first order when none is open (or the open one left the list)', () => {
    expect(orderAfter(ORDERS, null, 1)).toBe('MedicationRequest/a');
    expect(orderAfter(ORDERS, 'MedicationRequest/gone', -1)).toBe('MedicationRequest/a');
  });

  it('moves one order down or up and stops at the ends', () => {
    expect(orderAfter(ORDERS, 'MedicationRequest/a', 1)).toBe('MedicationRequest/b');
    expect(orderAfter(ORDERS, 'MedicationRequest/b', -1)).toBe('MedicationRequest/a');
    expect(orderAfter(ORDERS, 'MedicationRequest/c', 1)).toBe('MedicationRequest/c');
    expect(orderAfter(ORDERS, 'MedicationRequest/a', -1)).toBe('MedicationRequest/a');
  });

  it('has nothing to open in an empty list', () => {
    expect(orderAfter([], null, 1)).toBeNull();
  });
});

describe('answerHeading', () => {
  const now = Date.parse('2026-03-02T10:30:00Z');
  it('names who answered and when, and says "the prescriber" for a sender the record does not name', () => {
    const answer = {
      reference: 'Communication/r1',
      text: 'Continue.',
      at: '2026-03-02T10:25:00Z',
      by: 'Dr Okafor',
    };
    expect(answerHeading(answer, now)).toBe(`Dr Okafor answered at ${timeText(answer.at, now)}`);
    expect(answerHeading({ ...answer, by: null, at: null }, now)).toBe('The prescriber answered');
  });
});
