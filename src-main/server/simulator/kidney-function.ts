// The simulator's kidney function. Laboratories report an eGFR with every creatinine, and a patient's
// creatinine does not jump between draws; so the simulator remembers each patient's eGFR once one is
// written (the pharmacist's context for an order) and draws that patient's later creatinine from it,
// reporting the eGFR beside it. Demo data: eGFR = 88 / creatinine (mg/dL) stands in for the lab's
// CKD-EPI 2021 calculation (which needs age and sex); it falls as creatinine rises and lands in the
// same bands, which is what the pharmacist's checks read.
import type { FhirResource } from '../base/types.ts';
import type { LabValue } from './build.ts';
import { LABS } from './catalog.ts';

/** Patient id → the eGFR last written for that patient. */
export type KidneyFunctions = Map<string, number>;

const SCALE = 88;

function creatinineValue(creatinine: number): LabValue {
  const value = Number(creatinine.toFixed(LABS.creatinine.decimals));
  return { value, interpretation: value > LABS.creatinine.high ? 'H' : 'N' };
}

function egfrValue(egfr: number): LabValue {
  const value = Math.round(Math.min(LABS.egfr.high, Math.max(5, egfr)));
  return { value, interpretation: value < LABS.egfr.low ? 'L' : 'N' };
}

/** The eGFR a laboratory reports with this creatinine. */
export function egfrOfCreatinine(creatinine: LabValue): LabValue {
  return egfrValue(SCALE / Math.max(creatinine.value, 0.05));
}

/** A creatinine and its eGFR, for a patient whose eGFR is `egfr`. */
export function renalPair(egfr: number): [creatinine: LabValue, egfr: LabValue] {
  const creatinine = creatinineValue(SCALE / egfr);
  return [creatinine, egfrValue(egfr)];
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
