// Creatinine clearance by Cockcroft–Gault, the estimate the labelling of drugs such as enoxaparin and
// piperacillin/tazobactam doses by ("CrCl < 30 mL/min"): their dose studies measured kidney function
// that way, not by the laboratory's eGFR. A pure function of the review's values: the newest serum
// creatinine, the newest body weight (actual weight, as the formula was published; an adjusted weight
// for obesity stays the pharmacist's judgement), the age at the creatinine's draw and the sex on record.
// What it cannot compute it names, so a renal check without it is a flag, never a pass (docs/pharmacy.md).
import type { ReviewValue } from '../../shared/api.ts';
import { ageOn } from './order-facts.ts';

/** µmol/L of creatinine per mg/dL (molar mass 113.12 g/mol). */
const MICROMOL_PER_MG_DL = 88.42;

export interface ClearanceInputs {
  creatinine: ReviewValue | null;
  weight: ReviewValue | null;
  birthDate: string | null;
  /** FHIR administrative gender: the formula has a term for female and male only. */
  gender: string | null;
  /** When the creatinine carries no time: the age is taken now. */
  now: Date;
}

export type Clearance =
  | {
      computed: true;
      value: ReviewValue;
      /** The inputs, as the pharmacist checks them: "67 y, male, 54 kg, creatinine 3.21 mg/dL". */
      inputs: string;
      implicated: string[];
    }
  | { computed: false; missing: string[]; implicated: string[] };

/** Creatinine in mg/dL from the units laboratories report it in; null for any other unit. */
function creatinineMgDl(value: ReviewValue): number | null {
  if (value.value === null || value.value <= 0) return null;
  const unit = (value.unit ?? '').replace(/\s+/g, '').toLowerCase();
  if (unit === 'mg/dl') return value.value;
  if (/^[µμu]mol\/l$/.test(unit)) return value.value / MICROMOL_PER_MG_DL;
  return null;
}

/** Body weight in kg from kg, g or pounds; null for any other unit. */
function weightKg(value: ReviewValue): number | null {
  if (value.value === null || value.value <= 0) return null;
  const unit = (value.unit ?? '').replace(/[\s[\]]/g, '').toLowerCase();
  if (unit === 'kg') return value.value;
  if (unit === 'g') return value.value / 1000;
  if (unit === 'lb' || unit === 'lb_av' || unit === 'lbs') return value.value * 0.45359237;
  return null;
}

/**
 * What a missing input needs: "a body weight", or, when the record has one it cannot use (a unit it
 * does not read, a value of zero), that value beside it: "a body weight in kg (not 11 stone_av)".
 */
function wanted(what: string, units: string, value: ReviewValue | null): string {
  if (!value || value.value === null) return what;
  return `${what} ${units} (not ${`${value.value} ${value.unit ?? ''}`.trim()})`;
}

const SEX_FACTOR: Readonly<Record<string, number>> = { female: 0.85, male: 1 };

/** The creatinine clearance, or what it would need. */
export function cockcroftGault(inputs: ClearanceInputs): Clearance {
  const { creatinine, weight } = inputs;
  const scr = creatinine ? creatinineMgDl(creatinine) : null;
  const kg = weight ? weightKg(weight) : null;
  const drawn = creatinine?.at ? new Date(creatinine.at) : null;
  const age = ageOn(inputs.birthDate, drawn && !Number.isNaN(drawn.getTime()) ? drawn : inputs.now);
  const sexFactor = inputs.gender ? SEX_FACTOR[inputs.gender] : undefined;
  const implicated = [creatinine, weight]
    .filter((v): v is ReviewValue => v !== null && v.value !== null && v.reference !== '')
    .map((v) => v.reference);
  const missing = [
    ...(scr === null ? [wanted('a creatinine', 'in mg/dL or µmol/L', creatinine)] : []),
    ...(kg === null ? [wanted('a body weight', 'in kg', weight)] : []),
    ...(age === null ? ['a birth date'] : []),
    ...(sexFactor === undefined ? ['a sex of female or male'] : []),
  ];
  if (scr === null || kg === null || age === null || sexFactor === undefined || !creatinine)
    return { computed: false, missing, implicated };
  const clearance = (((140 - age) * kg) / (72 * scr)) * sexFactor;
  return {
    computed: true,
    // Whole mL/min, as labels state their limits: the check compares the number the pharmacist reads.
    value: {
      label: 'CrCl',
      reference: creatinine.reference,
      value: Math.max(0, Math.round(clearance)),
      unit: 'mL/min',
      at: creatinine.at,
      interpretation: null,
    },
    inputs:
      `${age} y, ${inputs.gender}, ${round(kg, 1)} kg, creatinine ${creatinine.value} ${creatinine.unit ?? ''}`.trim(),
    implicated,
  };
}

const round = (value: number, decimals: number): number => Number(value.toFixed(decimals));
