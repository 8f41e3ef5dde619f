// Display strings for FHIR resources, built on the shared reader of untrusted FHIR JSON
// (src-main/shared/fhir-json.ts: checked accessors that never throw). Nothing here renders markup (React
// escapes text), and narrative (`text.div`) is never shown. Lists are read leniently (a lone element
// where a list belongs is still shown).
import type { FhirResource } from '../../src-main/shared/api.ts';
import { readableUnits } from '../../src-main/shared/fhir-json.ts';
import { timeText } from '../format/time.ts';
import {
  at,
  codings,
  conceptText,
  field,
  firstCode,
  humanName,
  isRecord,
  list,
  num,
  quantityText,
  record,
  records,
  referenceDisplay,
  referenceOf,
  str,
} from '../../src-main/shared/fhir-json.ts';

/** A Quantity as text with a readable unit ("5.6 INR", "55 ×10³/µL"), or null. */
export function quantityDisplay(value: unknown): string | null {
  const text = quantityText(value);
  return text ? readableUnits(text) : null;
}

/** Age in whole years from a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD). */
export function ageFrom(birthDate: unknown, now = new Date()): number | null {
  const b = str(birthDate);
  if (!b || !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(b)) return null;
  const [y, m = 1, d = 1] = b.split('-').map(Number) as [number, number?, number?];
  let age = now.getFullYear() - y;
  if (now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d)) age -= 1;
  return age >= 0 ? age : null;
}

/**
 * The MRN: the identifier typed MR, else one whose system names an MRN — the host's rule
 * (src-main/core/monitor/patient-identity.ts). Another identifier (a national id) is never shown as it.
 */
export function mrnOf(patient: FhirResource): string | null {
  const ids = list(patient['identifier']).filter(isRecord);
  const typed = ids.find((i) => codings(i['type']).some((c) => c.code === 'MR'));
  const bySystem = ids.find((i) => /\bmrn\b|medical-record/i.test(str(i['system']) ?? ''));
  const mrn = typed ?? bySystem;
  return mrn ? str(mrn['value']) : null;
}

/** Who a patient is on screen: name, and MRN or date of birth to tell namesakes apart. */
export interface PatientIdentity {
  reference: string;
  name: string;
  mrn?: string;
  birthDate?: string;
}

/** Who each `Patient/<id>` is, from the patients a view carries (an unknown one is named by reference). */
export function patientIdentities(patients: readonly FhirResource[]): (reference: string) => PatientIdentity {
  const byReference = new Map(patients.map((p) => [`Patient/${p.id}`, p]));
  return (reference) => {
    const resource = byReference.get(reference);
    const mrn = resource ? mrnOf(resource) : null;
    const birthDate = resource ? str(resource['birthDate']) : null;
    return {
      reference,
      name: (resource ? humanName(resource['name']) : null) ?? reference,
      ...(mrn ? { mrn } : {}),
      ...(birthDate ? { birthDate } : {}),
    };
  };
}

export function rangeText(ranges: unknown): string | null {
  const r = list(ranges).find(isRecord);
  if (!r) return null;
  const text = str(r['text']);
  if (text) return text;
  const low = quantityDisplay(r['low']);
  const high = quantityDisplay(r['high']);
  if (low && high) return `${low} – ${high}`;
  if (low) return `≥ ${low}`;
  if (high) return `≤ ${high}`;
  return null;
}

export function interpretationText(interps: unknown): string | null {
  const parts = list(interps)
    .map((i) => {
      const text = conceptText(i);
      const code = firstCode(i);
      return text && code && text !== code ? `${text} (${code})` : (text ?? code);
    })
    .filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(', ') : null;
}

export function periodText(period: unknown): string | null {
  if (!isRecord(period)) return null;
  const start = str(period['start']);
  const end = str(period['end']);
  if (!start && !end) return null;
  return `${start ? dateTimeText(start) : '?'} → ${end ? dateTimeText(end) : 'ongoing'}`;
}

/** An instant in the app's one time format (format/time.ts). */
export function dateTimeText(iso: unknown): string {
  return timeText(str(iso));
}

export interface DosageText {
  dose: string | null;
  route: string | null;
  frequency: string | null;
  text: string | null;
}

export function dosageOf(resource: FhirResource): DosageText {
  const dosage = list(resource['dosageInstruction']).find(isRecord);
  if (!dosage) return { dose: null, route: null, frequency: null, text: null };
  const doseAndRate = list(dosage['doseAndRate']).find(isRecord);
  const dose = doseAndRate ? quantityDisplay(doseAndRate['doseQuantity']) : null;
  const timing = record(dosage['timing']);
  const repeat = record(timing?.['repeat']);
  const times = num(repeat?.['frequency']);
  const period = num(repeat?.['period']);
  let frequency = timing ? conceptText(timing['code']) : null;
  if (!frequency && times !== null && period !== null) {
    frequency = `${times} × every ${period} ${str(repeat?.['periodUnit']) ?? ''}`.trim();
  }
  return { dose, route: conceptText(dosage['route']), frequency, text: str(dosage['text']) };
}

export function medicationText(resource: FhirResource): string {
  return (
    conceptText(resource['medicationCodeableConcept']) ??
    referenceDisplay(resource['medicationReference']) ??
    'Unnamed medication'
  );
}

/** One `Encounter.location` entry, checked. */
export interface EncounterLocation {
  /** The Reference to the Location (unchecked: read it with referenceOf / referenceDisplay). */
  location: unknown;
  status: string | null;
  period: unknown;
  start: string | null;
}

/** The locations of an Encounter in the order sent (entries that are not objects are skipped). */
export function encounterLocations(encounter: unknown): EncounterLocation[] {
  return records(field(encounter, 'location')).map((entry) => ({
    location: entry['location'],
    status: str(entry['status']),
    period: entry['period'],
    start: str(at(entry, 'period', 'start')),
  }));
}

/** Where an Encounter is now: the reference of its active location, else of its last one. */
export function currentLocation(encounter: unknown): string | null {
  const locations = encounterLocations(encounter);
  const current = locations.find((l) => l.status === 'active') ?? locations[locations.length - 1];
  return current ? referenceOf(current.location) : null;
}

/** A bed's Location name as read on the banner: "Bed 4W-12", but "Ward A bed 24" as it is, not twice. */
export function bedText(locationName: string): string {
  return /\bbed\b/i.test(locationName) ? locationName : `Bed ${locationName}`;
}

export const PRIORITY_RANK: Record<string, number> = { stat: 0, asap: 1, urgent: 2, routine: 3 };
export const priorityOf = (resource: FhirResource): string => str(resource['priority']) ?? 'routine';

/** Short human summary of any value for the generic resource view (depth-limited, no markup). */
export function valueSummary(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (Array.isArray(value))
    return value
      .map((v) => valueSummary(v, depth + 1))
      .filter(Boolean)
      .join('; ');
  if (isRecord(value)) {
    const readable =
      conceptText(value) ?? quantityDisplay(value) ?? referenceDisplay(value) ?? humanName([value]) ?? null;
    if (
      readable &&
      (value['coding'] ||
        typeof value['text'] === 'string' ||
        value['value'] !== undefined ||
        value['reference'] ||
        value['family'])
    )
      return readable;
    if (depth > 2) return '…';
    return Object.entries(value)
      .filter(([k]) => k !== 'extension' && k !== 'text')
      .map(([k, v]) => `${k}: ${valueSummary(v, depth + 1)}`)
      .join(', ');
  }
  return '';
}

/** Top-level fields worth showing in the generic view (no meta, narrative or contained). */
export function genericFields(resource: FhirResource): [string, string][] {
  const skip = new Set(['resourceType', 'id', 'meta', 'text', 'contained', 'extension', 'modifierExtension']);
  return Object.entries(resource)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]): [string, string] => [k.replace(/([a-z])([A-Z])/g, '$1 $2'), valueSummary(v)])
    .filter(([, v]) => v.length > 0)
    .slice(0, 40);
}
