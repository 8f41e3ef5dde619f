// Who an alert or an order is about, as a line a nurse or a pharmacist can check against a wristband:
// the name with the MRN (or the date of birth), and whether another patient in view has the same name.
// Pure, unit-tested.
import type { AlertSummary } from '../../src-main/shared/api.ts';

/** An alert's patient or an order's (whose absent parts are null rather than left out). */
export type PatientLike = {
  reference: string;
  name?: string | null | undefined;
  mrn?: string | null | undefined;
  birthDate?: string | null | undefined;
} | null;

/** "MRN PT-0001", "born 1951-07-04", or null when neither is known. */
export function distinguisher(patient: PatientLike): string | null {
  if (patient?.mrn) return `MRN ${patient.mrn}`;
  if (patient?.birthDate) return `born ${patient.birthDate}`;
  return null;
}

/** "Omar Garcia · MRN PT-0001"; the reference when no name is known; "Unknown patient" for none. */
export function identityText(patient: PatientLike): string {
  if (!patient) return 'Unknown patient';
  const who = patient.name ?? patient.reference;
  const extra = distinguisher(patient);
  return extra ? `${who} · ${extra}` : who;
}

const nameKey = (name: string) => name.trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * References of patients who share their name with another patient among `patients` (two "Omar
 * Garcia" on one ward): every row, pin and tile of theirs carries a warning.
 */
export function sameNameReferences(
  patients: Iterable<{ reference: string; name?: string | null } | null | undefined>,
): Set<string> {
  const byName = new Map<string, Set<string>>();
  for (const p of patients) {
    if (!p?.name) continue;
    const key = nameKey(p.name);
    const refs = byName.get(key) ?? new Set<string>();
    refs.add(p.reference);
    byName.set(key, refs);
  }
  const shared = new Set<string>();
  for (const refs of byName.values()) if (refs.size > 1) for (const r of refs) shared.add(r);
  return shared;
}

/**
 * The ward of an alert: what the host read from the bed's Location, else the bed's name without its
 * bed part ("Ward A bed 1" → "Ward A") for alerts stored before the host read wards.
 */
export function wardOf(alert: Pick<AlertSummary, 'ward' | 'location'>): string | null {
  if (alert.ward) return alert.ward;
  if (!alert.location) return null;
  return alert.location.replace(/\s+(bed|room|bay)\s+\S+$/i, '').trim() || null;
}
