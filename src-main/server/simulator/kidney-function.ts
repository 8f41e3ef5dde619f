// The simulator's kidney function. Laboratories report an eGFR with every creatinine, computed by the
// race-free CKD-EPI 2021 creatinine equation the eGFR's LOINC code names (98979-8), from the
// creatinine, the patient's age and sex. A patient's creatinine does not jump between draws; so the
// simulator remembers each patient's eGFR once one is written (the pharmacist's context for an order)
// and draws that patient's later creatinine from it — the equation solved for creatinine — reporting
// the eGFR beside it.
import type { FhirResource } from '../base/types.ts';
import type { ResourceStore } from '../store/resources.ts';
import type { LabValue } from './build.ts';
import { LABS } from './catalog.ts';

/** Patient id → the eGFR last written for that patient. */
export type KidneyFunctions = Map<string, number>;

/** What the CKD-EPI 2021 equation needs besides the creatinine. */
export interface KidneyPatient {
  ageYears: number;
  female: boolean;
}

/** A patient the store does not describe (no birth date or sex): an adult of the wards' middle age. */
const UNKNOWN_PATIENT: KidneyPatient = { ageYears: 60, female: false };

/** The equation's constants for the patient's sex; `atKappa` is the eGFR at a creatinine of κ. */
function constants(patient: KidneyPatient) {
  const kappa = patient.female ? 0.7 : 0.9;
  const alpha = patient.female ? -0.241 : -0.302;
  const atKappa = 142 * 0.9938 ** patient.ageYears * (patient.female ? 1.012 : 1);
  return { kappa, alpha, atKappa };
}

/**
 * eGFR (mL/min/1.73 m²) by CKD-EPI 2021: 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age
 * × 1.012 if female; Scr in mg/dL; κ 0.7 (female) or 0.9 (male); α −0.241 or −0.302 (Inker et al.,
 * N Engl J Med 2021;385:1737–49).
 */
export function ckdEpi2021(creatinineMgDl: number, patient: KidneyPatient): number {
  const { kappa, alpha, atKappa } = constants(patient);
  const ratio = creatinineMgDl / kappa;
  return atKappa * Math.min(ratio, 1) ** alpha * Math.max(ratio, 1) ** -1.2;
}

/** The creatinine (mg/dL) at which CKD-EPI 2021 gives `egfr` for this patient. */
export function creatinineForEgfr(egfr: number, patient: KidneyPatient): number {
  const { kappa, alpha, atKappa } = constants(patient);
  // Below the eGFR at κ, creatinine is above κ, where the exponent is −1.200; above it, α.
  const exponent = egfr <= atKappa ? -1.2 : alpha;
  return kappa * (egfr / atKappa) ** (1 / exponent);
}

/** Age (whole years at `at`) and sex from the patient's record; the middle-aged adult when unknown. */
export function kidneyPatient(
  store: Pick<ResourceStore, 'find'>,
  patientId: string,
  at: string,
): KidneyPatient {
  const patient = store.find('Patient', patientId);
  const born = typeof patient?.['birthDate'] === 'string' ? patient['birthDate'] : null;
  const gender = patient?.['gender'];
  if (!born || (gender !== 'female' && gender !== 'male')) return UNKNOWN_PATIENT;
  const birth = new Date(born);
  const now = new Date(at);
  if (Number.isNaN(birth.getTime()) || Number.isNaN(now.getTime())) return UNKNOWN_PATIENT;
  const birthdayPassed =
    now.getUTCMonth() > birth.getUTCMonth() ||
    (now.getUTCMonth() === birth.getUTCMonth() && now.getUTCDate() >= birth.getUTCDate());
  const ageYears = now.getUTCFullYear() - birth.getUTCFullYear() - (birthdayPassed ? 0 : 1);
  return { ageYears: Math.max(18, ageYears), female: gender === 'female' };
}

function creatinineValue(creatinine: number): LabValue {
  const value = Number(creatinine.toFixed(LABS.creatinine.decimals));
  return { value, interpretation: value > LABS.creatinine.high ? 'H' : 'N' };
}

function egfrValue(egfr: number): LabValue {
  const value = Math.round(Math.min(LABS.egfr.high, Math.max(5, egfr)));
  return { value, interpretation: value < LABS.egfr.low ? 'L' : 'N' };
}

/** The eGFR a laboratory reports with this creatinine for this patient. */
export function egfrOfCreatinine(creatinine: LabValue, patient: KidneyPatient): LabValue {
  return egfrValue(ckdEpi2021(Math.max(creatinine.value, 0.05), patient));
}

/** A creatinine and its eGFR, for a patient whose eGFR is `egfr`. */
export function renalPair(egfr: number, patient: KidneyPatient): [creatinine: LabValue, egfr: LabValue] {
  // The eGFR stays the one remembered (a patient's kidney function does not drift by rounding); the
  // rounded creatinine gives it back within one unit.
  return [creatinineValue(creatinineForEgfr(egfr, patient)), egfrValue(egfr)];
}

/** Note the patient's eGFR when `resource` is one (called for every context Observation written). */
export function rememberKidneyFunction(kidney: KidneyFunctions, resource: FhirResource): void {
  if (resource.resourceType !== 'Observation') return;
  const code = resource['code'] as { coding?: { code?: string }[] } | undefined;
  if (!code?.coding?.some((c) => c.code === LABS.egfr.loinc)) return;
  const value = (resource['valueQuantity'] as { value?: unknown } | undefined)?.value;
  const patient = (resource['subject'] as { reference?: unknown } | undefined)?.reference;
  if (typeof value !== 'number' || typeof patient !== 'string' || !patient.startsWith('Patient/')) return;
  kidney.set(patient.slice('Patient/'.length), value);
}
