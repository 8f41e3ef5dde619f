// The bed comes from an Encounter read from the server: untrusted JSON, read through checked accessors.
import { describe, expect, it } from 'vitest';
import { currentLocation } from '../../../../src-main/core/monitor/bed-lookup.ts';

describe('bed lookup', () => {
  it('takes the active location, else the last one listed', () => {
    const encounter = {
      resourceType: 'Encounter',
      location: [
        { status: 'completed', location: { reference: 'Location/ward-b-3', display: 'Ward B bed 3' } },
        { status: 'active', location: { reference: 'Location/ward-a-1', display: 'Ward A bed 1' } },
        { status: 'planned', location: { reference: 'Location/ward-c-2' } },
      ],
    };
    expect(currentLocation(encounter)).toEqual({ display: 'Ward A bed 1', reference: 'Location/ward-a-1' });
    const noneActive = {
      location: [{ location: { display: 'Ward B bed 3' } }, { location: { reference: 'Location/x' } }],
    };
    expect(currentLocation(noneActive)).toEqual({ display: null, reference: 'Location/x' });
  });

  it('finds nothing in odd shapes instead of throwing', () => {
    expect(currentLocation(null)).toBeNull();
    expect(currentLocation({ location: 'Ward A' })).toBeNull();
    expect(currentLocation({ location: [] })).toBeNull();
    expect(
      currentLocation({ location: [{ status: 'active', location: { display: 42, reference: {} } }] }),
    ).toEqual({
      display: null,
      reference: null,
    });
  });
});
