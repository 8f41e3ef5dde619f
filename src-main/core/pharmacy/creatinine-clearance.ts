// Creatinine clearance by Cockcroft–Gault, the estimate the labelling of drugs such as enoxaparin and
// piperacillin/tazobactam doses by ("CrCl < 30 mL/min"): their dose studies measured kidney function
// that way, not by the laboratory's eGFR. A pure function of the review's values: the newest serum
// creatinine, the newest body weight, the age at the creatinine's draw and the sex on record. The weight
// is the actual one, as the formula was published, except where the newest height shows obesity: above
// 120 % of the ideal body weight (Devine) the adjusted body weight is used, ideal + 0.4 × (actual −
// ideal), as hospital renal-dosing protocols do, because the actual weight of an obese patient
// overstates the clearance (docs/pharmacy.md, "Creatinine clearance"). What it cannot compute it names,
// so a renal check without it is a flag, never a pass.
import type { ReviewValue } from '../../shared/api.ts';
import { ageOn } from './order-facts.ts';

const round = (value: number, decimals: number): number => Number(value.toFixed(decimals));

/** µmol/L of creatinine per mg/dL (molar mass 113.12 g/mol). */
const MICROMOL_PER_MG_DL = 88.42;

export interface ClearanceInputs {
  creatinine: ReviewValue | null;
  weight: ReviewValue | null;
  /** Body height; without one the actual weight is used (and the banner says no height is recorded). */
  height?: ReviewValue | null;
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
      /** Computed from the adjusted body weight (obesity), not the actual one. */
      adjusted: boolean;
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

/** Body height in cm from cm, m or inches; null for any other unit. */
function heightCm(value: ReviewValue): number | null {
  if (value.value === null || value.value <= 0) return null;
  const unit = (value.unit ?? '').replace(/[\s[\]]/g, '').toLowerCase();
  if (unit === 'cm') return value.value;
  if (unit === 'm') return value.value * 100;
  if (unit === 'in' || unit === 'in_i' || unit === 'in_us') return value.value * 2.54;
  return null;
}

/** Devine's ideal body weight: 50 kg (male) or 45.5 kg (female) + 2.3 kg per inch over five feet. */
const IDEAL_BASE_KG: Readonly<Record<string, number>> = { female: 45.5, male: 50 };
const FIVE_FEET_CM = 152.4;
/** Above this share of the ideal weight the adjusted weight is used. */
const OBESE_ABOVE = 1.2;
/** The share of the weight above ideal that counts (the adjusted body weight's factor). */
const ADJUSTMENT_FACTOR = 0.4;

export interface DosingWeight {
  kg: number;
  /** "54 kg", or "adjusted body weight 80.2 kg (actual 120 kg; ideal 54.7 kg for 160 cm)". */
  words: string;
  adjusted: boolean;
}

/**
 * The weight Cockcroft–Gault is given: the actual weight, or the adjusted weight above 120 % of the
 * ideal. Devine's formula is for adults of five feet or taller: below that the actual weight stays.
 */
export function dosingWeight(
  actualKg: number,
  heightCmValue: number | null,
  gender: string | null,
): DosingWeight {
  const actual: DosingWeight = { kg: actualKg, words: `${round(actualKg, 1)} kg`, adjusted: false };
  const base = gender ? IDEAL_BASE_KG[gender] : undefined;
  if (heightCmValue === null || base === undefined || heightCmValue < FIVE_FEET_CM) return actual;
  const ideal = base + 2.3 * ((heightCmValue - FIVE_FEET_CM) / 2.54);
  if (actualKg <= OBESE_ABOVE * ideal) return actual;
  const kg = ideal + ADJUSTMENT_FACTOR * (actualKg - ideal);
  return {
    kg,
    words: `adjusted body weight ${round(kg, 1)} kg (actual ${round(actualKg, 1)} kg; ideal ${round(ideal, 1)} kg for ${round(heightCmValue, 0)} cm)`,
    adjusted: true,
  };
}

/** The creatinine clearance, or what it would need. */
export function cockcroftGault(inputs: ClearanceInputs): Clearance {
  const { creatinine, weight } = inputs;
  const scr = creatinine ? creatinineMgDl(creatinine) : null;
  const kg = weight ? weightKg(weight) : null;
  const drawn = creatinine?.at ? new Date(creatinine.at) : null;
  const age = ageOn(inputs.birthDate, drawn && !Number.isNaN(drawn.getTime()) ? drawn : inputs.now);
  const sexFactor = inputs.gender ? SEX_FACTOR[inputs.gender] : undefined;
  const height = inputs.height ? heightCm(inputs.height) : null;
  const dosing = kg === null ? null : dosingWeight(kg, height, inputs.gender);
  // The height counts among the records it was computed from only when it changed the weight used.
  const implicated = [creatinine, weight, dosing?.adjusted ? (inputs.height ?? null) : null]
    .filter((v): v is ReviewValue => v !== null && v.value !== null && v.reference !== '')
    .map((v) => v.reference);
  const missing = [
    ...(scr === null ? [wanted('a creatinine', 'in mg/dL or µmol/L', creatinine)] : []),
    ...(kg === null ? [wanted('a body weight', 'in kg', weight)] : []),
    ...(age === null ? ['a birth date'] : []),
    ...(sexFactor === undefined ? ['a sex of female or male'] : []),
  ];
  if (scr === null || dosing === null || age === null || sexFactor === undefined || !creatinine)
    return { computed: false, missing, implicated };
  const clearance = (((140 - age) * dosing.kg) / (72 * scr)) * sexFactor;
  return {
    computed: true,
    adjusted: dosing.adjusted,
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
      `${age} y, ${inputs.gender}, ${dosing.words}, creatinine ${creatinine.value} ${creatinine.unit ?? ''}`.trim(),
    implicated,
  };
}
