// The ward board's model (beds, occupants, the day's movements) from the host's view, without React
// (unit-tested).
import type { AlertSummary, FhirResource, WardBoardView } from '../../src-main/shared/api.ts';
import { record, referenceOf, str } from '../../src-main/shared/fhir-json.ts';
import type { EncounterLocation, PatientIdentity } from './format.ts';
import { currentLocation, encounterLocations, patientIdentities } from './format.ts';

/** A bed's occupant, told apart from others of the same name by the MRN or the date of birth. */
export type Occupant = PatientIdentity;

/** "Omar Garcia · MRN PT-0001" (or born …), for the movements list. */
function occupantText(o: Occupant): string {
  const extra = o.mrn ? `MRN ${o.mrn}` : o.birthDate ? `born ${o.birthDate}` : null;
  return extra ? `${o.name} · ${extra}` : o.name;
}

export interface Bed {
  id: string;
  name: string;
  ward: string | null;
  encounter: FhirResource | null;
  patient: Occupant | null;
}
export interface Movement {
  kind: 'Admission' | 'Transfer' | 'Discharge';
  at: string;
  patient: string;
  where: string;
}

const DAY = 24 * 3600_000;

export function buildBoard(view: WardBoardView, now: number): { beds: Bed[]; movements: Movement[] } {
  const occupant = patientIdentities(view.patients);
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
        patient: subject ? occupant(subject) : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const movements: Movement[] = [];
  const recent = (t: string | null): t is string => t !== null && now - Date.parse(t) < DAY;
  for (const e of view.encounters) {
    const subject = referenceOf(e['subject']);
    const who = subject ? occupantText(occupant(subject)) : 'Unknown patient';
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

/** A bed's alert badge: the highest open action tier, how many open alerts of that tier, and the rest. */
export interface BedBadge {
  top: 'critical' | 'high';
  /** Open alerts of the top tier only: "▲ 2 critical" never counts a high or an admission. */
  count: number;
  /** Open high alerts beside open criticals (0 when the top tier is high). */
  alsoHigh: number;
  /** The alert the badge opens: the oldest open one of the top tier. */
  first: string;
}

/** Badges by patient reference, from open action alerts only (information never makes a badge). */
export function badgesFor(alerts: readonly AlertSummary[]): Map<string, BedBadge> {
  const open = new Map<string, { critical: AlertSummary[]; high: AlertSummary[] }>();
  for (const a of alerts) {
    if (!a.patient || (a.tier !== 'critical' && a.tier !== 'high')) continue;
    if (a.state === 'acknowledged' || a.state === 'resolved') continue;
    const entry = open.get(a.patient.reference) ?? { critical: [], high: [] };
    entry[a.tier].push(a);
    open.set(a.patient.reference, entry);
  }
  const badges = new Map<string, BedBadge>();
  for (const [reference, { critical, high }] of open) {
    const top = critical.length > 0 ? 'critical' : 'high';
    const ofTop = top === 'critical' ? critical : high;
    const oldest = [...ofTop].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))[0];
    if (!oldest) continue;
    badges.set(reference, {
      top,
      count: ofTop.length,
      alsoHigh: top === 'critical' ? high.length : 0,
      first: oldest.id,
    });
  }
  return badges;
}
