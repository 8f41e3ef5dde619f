import type { Medication } from './formulary.ts';
import { FORMULARY } from './formulary.ts';

// Reference data for the simulator: LOINC lab tests with UCUM units, normal and critical limits
//, panels, medications and names. Limits are typical adult values, not a lab's.

export interface LabTest {
  loinc: string;
  display: string;
  /** The name the laboratory reports the result under (`code.text`), when shorter than LOINC's. */
  text?: string;
  unit: string;
  low: number;
  high: number;
  criticalLow: number | null;
  criticalHigh: number | null;
  decimals: number;
}

export const LABS = {
  potassium: {
    loinc: '2823-3',
    display: 'Potassium [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    low: 3.5,
    high: 5.1,
    criticalLow: 2.8,
    criticalHigh: 6.2,
    decimals: 1,
  },
  sodium: {
    loinc: '2951-2',
    display: 'Sodium [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    low: 136,
    high: 145,
    criticalLow: 120,
    criticalHigh: 160,
    decimals: 0,
  },
  chloride: {
    loinc: '2075-0',
    display: 'Chloride [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    low: 98,
    high: 107,
    criticalLow: null,
    criticalHigh: null,
    decimals: 0,
  },
  bicarbonate: {
    loinc: '2028-9',
    display: 'Carbon dioxide, total [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    low: 22,
    high: 29,
    criticalLow: 10,
    criticalHigh: 40,
    decimals: 0,
  },
  urea: {
    loinc: '3094-0',
    display: 'Urea nitrogen [Mass/volume] in Serum or Plasma',
    unit: 'mg/dL',
    low: 7,
    high: 20,
    criticalLow: null,
    criticalHigh: null,
    decimals: 0,
  },
  creatinine: {
    loinc: '2160-0',
    display: 'Creatinine [Mass/volume] in Serum or Plasma',
    unit: 'mg/dL',
    low: 0.6,
    high: 1.2,
    criticalLow: null,
    criticalHigh: null,
    decimals: 2,
  },
  glucose: {
    loinc: '2345-7',
    display: 'Glucose [Mass/volume] in Serum or Plasma',
    unit: 'mg/dL',
    low: 70,
    high: 99,
    criticalLow: 40,
    criticalHigh: 500,
    decimals: 0,
  },
  wbc: {
    loinc: '6690-2',
    display: 'Leukocytes [#/volume] in Blood by Automated count',
    unit: '10*3/uL',
    low: 4,
    high: 11,
    criticalLow: 1,
    criticalHigh: 50,
    decimals: 1,
  },
  hemoglobin: {
    loinc: '718-7',
    display: 'Hemoglobin [Mass/volume] in Blood',
    unit: 'g/dL',
    low: 12,
    high: 16,
    criticalLow: 7,
    criticalHigh: 20,
    decimals: 1,
  },
  platelets: {
    loinc: '777-3',
    display: 'Platelets [#/volume] in Blood by Automated count',
    unit: '10*3/uL',
    low: 150,
    high: 400,
    criticalLow: 20,
    criticalHigh: 1000,
    decimals: 0,
  },
  inr: {
    loinc: '6301-6',
    display: 'INR in Platelet poor plasma by Coagulation assay',
    unit: '{INR}',
    low: 0.8,
    high: 1.2,
    criticalLow: null,
    criticalHigh: 5,
    decimals: 1,
  },
  lactate: {
    loinc: '2524-7',
    display: 'Lactate [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    low: 0.5,
    high: 2.2,
    criticalLow: null,
    criticalHigh: 4,
    decimals: 1,
  },
  phosphate: {
    loinc: '2777-1',
    display: 'Phosphate [Mass/volume] in Serum or Plasma',
    unit: 'mg/dL',
    low: 2.5,
    high: 4.5,
    criticalLow: 1,
    criticalHigh: null,
    decimals: 1,
  },
  egfr: {
    loinc: '98979-8',
    text: 'eGFR',
    display:
      'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)',
    unit: 'mL/min/{1.73_m2}',
    low: 60,
    high: 120,
    criticalLow: null,
    criticalHigh: null,
    decimals: 0,
  },
} as const satisfies Record<string, LabTest>;

export interface Panel {
  loinc: string;
  display: string;
  tests: readonly LabTest[];
  /** Relative frequency of this panel among draws. */
  weight: number;
}

export const PANELS: readonly Panel[] = [
  {
    loinc: '51990-0',
    display: 'Basic metabolic panel - Blood',
    tests: [
      LABS.sodium,
      LABS.potassium,
      LABS.chloride,
      LABS.bicarbonate,
      LABS.urea,
      LABS.creatinine,
      LABS.glucose,
    ],
    weight: 5,
  },
  {
    loinc: '58410-2',
    display: 'CBC panel - Blood by Automated count',
    tests: [LABS.wbc, LABS.hemoglobin, LABS.platelets],
    weight: 4,
  },
  { loinc: '34714-6', display: 'INR in Blood by Coagulation assay', tests: [LABS.inr], weight: 1 },
  { loinc: '2524-7', display: 'Lactate [Moles/volume] in Serum or Plasma', tests: [LABS.lactate], weight: 1 },
  {
    loinc: '2777-1',
    display: 'Phosphate [Mass/volume] in Serum or Plasma',
    tests: [LABS.phosphate],
    weight: 1,
  },
];

export type { Medication } from './formulary.ts';

/** Every drug the simulator orders at random (dosing and indications: formulary.ts). */
export const MEDICATIONS: readonly Medication[] = Object.values(FORMULARY);

export const GIVEN_NAMES = [
  'Maria',
  'James',
  'Aisha',
  'Chen',
  'Olga',
  'Kwame',
  'Sofia',
  'Liam',
  'Priya',
  'Mateo',
  'Hana',
  'Noah',
  'Fatima',
  'Lucas',
  'Ingrid',
  'Omar',
  'Yuki',
  'Elena',
  'Tomas',
  'Grace',
  'Ravi',
  'Amara',
  'Jonas',
  'Leila',
] as const;
export const FAMILY_NAMES = [
  'Garcia',
  'Smith',
  'Nguyen',
  'Kowalski',
  'Mensah',
  'Rossi',
  'Haddad',
  'Tanaka',
  'Okonkwo',
  'Larsen',
  'Patel',
  'Silva',
  'Novak',
  'Ibrahim',
  'Schmidt',
  'Moreau',
  'Kim',
  'Andersson',
  'Costa',
  'Murphy',
  'Dubois',
  'Fischer',
] as const;
