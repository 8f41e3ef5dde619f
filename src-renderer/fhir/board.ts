// The ward board's model (beds, occupants, the day's movements) from the host's view, without React
// (unit-tested).
import type { FhirResource, WardBoardView } from '../../src-main/shared/api.ts';
import { humanName, record, referenceOf, str } from '../../src-main/shared/fhir-json.ts';
import type { EncounterLocation } from './format.ts';
import { currentLocation, encounterLocations } from './format.ts';

export interface Bed {
  id: string;
  name: string;
  ward: string | null;
  encounter: FhirResource | null;
  patient: { reference: string; name: string } | null;
}
export interface Movement {
  kind: 'Admission' | 'Transfer' | 'Discharge';
  at: string;
  patient: string;
  where: string;
}

const DAY = 24 * 3600_000;

export function buildBoard(view: WardBoardView, now: number): { beds: Bed[]; movements: Movement[] } {
  const patients = new Map(
    view.patients.map((p) => [`Patient/${p.id}`, humanName(p['name']) ?? `Patient/${p.id}`]),
  );
  const locName = new Map(
    view.locations.map((l) => [`Location/${l.id}`, str(l['name']) ?? `Location/${l.id}`]),
  );
  const occupied = new Map<string, FhirResource>();
  for (const e of view.encounters) {
    const bed = currentLocation(e);
    if (e['status'] === 'in-progress' && bed) occupied.set(bed, e);
  }
  const beds: Bed[] = view.locations
    .filter((l) => referenceOf(l['partOf']) !== null)
    .map((l) => {
      const id = `Location/${l.id}`;
      const encounter = occupied.get(id) ?? null;
      const subject = encounter ? referenceOf(encounter['subject']) : null;
      return {
        id,
        name: str(l['name']) ?? id,
        ward: referenceOf(l['partOf']),
        encounter,
        patient: subject ? { reference: subject, name: patients.get(subject) ?? subject } : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const movements: Movement[] = [];
  const recent = (t: string | null): t is string => t !== null && now - Date.parse(t) < DAY;
  for (const e of view.encounters) {
    const subject = referenceOf(e['subject']);
    const who = subject ? (patients.get(subject) ?? subject) : 'Unknown patient';
    const period = record(e['period']);
    const start = str(period?.['start']);
    const end = str(period?.['end']);
    const locs = encounterLocations(e);
    const bedName = (l: EncounterLocation | undefined) => {
      const ref = l ? referenceOf(l.location) : null;
      return ref ? (locName.get(ref) ?? ref) : 'unknown bed';
    };
    if (recent(start))
      movements.push({
        kind: 'Admission',
        at: start,
        patient: who,
        where: bedName(locs[0]),
      });
    for (let i = 1; i < locs.length; i += 1) {
      const at = locs[i]?.start ?? null;
      if (recent(at))
        movements.push({
          kind: 'Transfer',
          at,
          patient: who,
          where: `${bedName(locs[i - 1])} → ${bedName(locs[i])}`,
        });
    }
    if (e['status'] === 'finished' && recent(end))
      movements.push({
        kind: 'Discharge',
        at: end,
        patient: who,
        where: bedName(locs[locs.length - 1]),
      });
  }
  movements.sort((a, b) => b.at.localeCompare(a.at));
  return { beds, movements };
}
