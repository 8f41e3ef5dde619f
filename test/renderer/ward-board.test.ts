import { describe, expect, it } from 'vitest';
import type { FhirResource } from '../../src-main/shared/api.ts';
import { buildBoard } from '../../src-renderer/fhir/board.ts';
import { currentLocation, encounterLocations } from '../../src-renderer/fhir/format.ts';

const NOW = Date.parse('2026-06-14T12:00:00Z');
const HOUR = 3600_000;
const iso = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString();

const bed = (id: string, name: string): FhirResource => ({
  resourceType: 'Location',
  id,
  name,
  partOf: { reference: 'Location/ward-a' },
});
const patient: FhirResource = {
  resourceType: 'Patient',
  id: 'p1',
  name: [{ given: ['Ann'], family: 'Lee' }],
};

describe('the ward board model', () => {
  it('places a transferred patient in the active bed and lists the admission and the transfer', () => {
    const encounter: FhirResource = {
      resourceType: 'Encounter',
      id: 'e1',
      status: 'in-progress',
      subject: { reference: 'Patient/p1' },
      period: { start: iso(3 * HOUR) },
      location: [
        { location: { reference: 'Location/bed-1' }, status: 'completed', period: { start: iso(3 * HOUR) } },
        { location: { reference: 'Location/bed-2' }, status: 'active', period: { start: iso(HOUR) } },
      ],
    };
    const board = buildBoard(
      {
        status: 'ok',
        message: null,
        encounters: [encounter],
        patients: [patient],
        locations: [bed('bed-1', 'Bed 1'), bed('bed-2', 'Bed 2')],
      },
      NOW,
    );
    expect(board.beds.map((b) => [b.name, b.patient?.name ?? null])).toEqual([
      ['Bed 1', null],
      ['Bed 2', 'Ann Lee'],
    ]);
    expect(board.movements.map((m) => [m.kind, m.where])).toEqual([
      ['Transfer', 'Bed 1 → Bed 2'],
      ['Admission', 'Bed 1'],
    ]);
  });

  it('survives encounters whose locations and period are malformed, instead of failing the whole board', () => {
    const odd: FhirResource = {
      resourceType: 'Encounter',
      id: 'e2',
      status: 'finished',
      subject: { reference: 'Patient/p1' },
      period: 'yesterday',
      location: [null, 'Location/bed-1', { location: { reference: 'Location/bed-1' }, period: 7 }],
    };
    const board = buildBoard(
      {
        status: 'ok',
        message: null,
        encounters: [odd],
        patients: [patient],
        locations: [bed('bed-1', 'Bed 1')],
      },
      NOW,
    );
    expect(board.beds.map((b) => b.patient)).toEqual([null]);
    expect(board.movements).toEqual([]);
  });

  it('reads Encounter locations checked, the active one first, else the last', () => {
    const encounter = {
      location: [
        { location: { reference: 'Location/bed-1' }, status: 'completed', period: { start: '2026-01-01' } },
        42,
        { location: { reference: 'Location/bed-2' } },
      ],
    };
    expect(encounterLocations(encounter)).toEqual([
      {
        location: { reference: 'Location/bed-1' },
        status: 'completed',
        period: { start: '2026-01-01' },
        start: '2026-01-01',
      },
      { location: { reference: 'Location/bed-2' }, status: null, period: undefined, start: null },
    ]);
    expect(currentLocation(encounter)).toBe('Location/bed-2');
    expect(
      currentLocation({
        location: [
          { location: { reference: 'Location/bed-1' }, status: 'active' },
          { location: { reference: 'Location/bed-2' } },
        ],
      }),
    ).toBe('Location/bed-1');
    expect(currentLocation({ location: 'Location/bed-1' })).toBeNull();
    expect(currentLocation(null)).toBeNull();
  });
});
