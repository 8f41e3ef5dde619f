// Who an alert or an order is about, as a nurse or a pharmacist tells two patients apart: the name, and
// the MRN and date of birth that distinguish two people of the same name (two "Omar Garcia" on one
// ward). For alerts it is read with the user's token from the same server at enrichment and stored on
// the alert, so every row, pin, toast and notification can carry it without another read; the
// pharmacist's worklist and review take it from the Patients they read anyway.
import type { FhirResource } from '../../shared/api.ts';
import { codings, field, humanName, records, str } from '../../shared/fhir-json.ts';
import { readResource, type FhirAccess } from './fhir-client.ts';
import { resolveReference } from '../notifications/parse-bundle.ts';

export interface PatientIdentity {
  name: string | null;
  /** Medical record number, or null when the record names none. */
  mrn: string | null;
  /** FHIR date (YYYY, YYYY-MM or YYYY-MM-DD), or null. */
  birthDate: string | null;
}

const IDENTIFIER_TYPES = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const FHIR_DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const MAX_MRN = 64;

/**
 * The MRN: the identifier typed MR (HL7 v2 table 0203), else one whose system names an MRN. Any other
 * identifier (a national id, an insurance number) is never shown as the MRN.
 */
export function mrnOf(patient: unknown): string | null {
  const identifiers = records(field(patient, 'identifier'));
  const typed = identifiers.find((i) =>
    codings(i['type']).some((c) => c.code === 'MR' && (c.system === null || c.system === IDENTIFIER_TYPES)),
  );
  const bySystem = identifiers.find((i) => /\bmrn\b|medical-record/i.test(str(i['system']) ?? ''));
  const value = str((typed ?? bySystem)?.['value'])?.trim();
  return value ? value.slice(0, MAX_MRN) : null;
}

/** Name, MRN and date of birth of a Patient; all null when there is none (it could not be read). */
export function identityOf(patient: FhirResource | null | undefined): PatientIdentity {
  if (!patient) return { name: null, mrn: null, birthDate: null };
  const birthDate = str(patient['birthDate']);
  return {
    name: humanName(patient['name']),
    mrn: mrnOf(patient),
    birthDate: birthDate && FHIR_DATE.test(birthDate) ? birthDate : null,
  };
}

/** The patient's identity, read from the same server; null when it cannot be read. Never throws. */
export async function readPatientIdentity(
  access: FhirAccess,
  fhirBase: string,
  patientRef: string | null,
): Promise<PatientIdentity | null> {
  if (!patientRef) return null;
  const patient = resolveReference(patientRef, fhirBase);
  if (!patient?.sameOrigin) return null;
  const view = await readResource(access, patient.relative);
  return view.status === 'ok' && view.resource ? identityOf(view.resource) : null;
}
