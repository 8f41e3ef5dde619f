// The worklist's j/k (src-renderer/hooks/useWorklistKeys.ts): which order the next key press opens
// (src-renderer/fhir/queue.ts `orderAfter`).
import { describe, expect, it } from 'vitest';
import { orderAfter } from '../../src-renderer/fhir/queue.ts';

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
