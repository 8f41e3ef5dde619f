// What a pharmacist checks besides the order itself, as the simulator writes it: body weight and
// height, kidney function (serum creatinine with its eGFR), K+, INR and glucose where an order makes them
// relevant (formulary.ts `context`), and allergies with their reaction and criticality.
// LOINC/UCUM/SNOMED CT.
import { createHash } from 'node:crypto';
import type { FhirResource } from '../base/types.ts';
import type { LabValue } from './build.ts';
import { labObservation, wardMeta } from './build.ts';
import type { LabTest } from './catalog.ts';
import { LABS } from './catalog.ts';
import { renalPair, type KidneyPatient } from './kidney-function.ts';
import { labValue } from './lab-values.ts';
import type { ContextKind } from './formulary.ts';
import type { Random } from './random.ts';

export const BODY_WEIGHT_LOINC = '29463-7';
export const BODY_HEIGHT_LOINC = '8302-2';

interface Measured {
  ward: string;
  patientId: string;
  encounterId: string | null;
  at: string;
}

/** A vital sign (weight, height) as a ward charts it: LOINC code, UCUM unit, category vital-signs. */
function vitalSign(
  loinc: string,
  display: string,
  quantity: { value: number; unit: string },
  input: Measured,
): FhirResource {
  return {
    resourceType: 'Observation',
    meta: wardMeta(input.ward),
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: loinc, display }] },
    subject: { reference: `Patient/${input.patientId}` },
    ...(input.encounterId ? { encounter: { reference: `Encounter/${input.encounterId}` } } : {}),
    effectiveDateTime: input.at,
    valueQuantity: { ...quantity, system: 'http://unitsofmeasure.org', code: quantity.unit },
  };
}

export function bodyWeight(input: Measured & { kg: number }): FhirResource {
  return vitalSign(BODY_WEIGHT_LOINC, 'Body weight', { value: input.kg, unit: 'kg' }, input);
}

/**
 * A patient's height in cm: around 163 (women) or 177 (men), ±12, fixed by the patient's id rather
 * than drawn from the seeded sequence, so the census, results and orders of a seed stay what they were.
 * With the weights drawn for orders, some patients are over 120 % of their ideal weight: their
 * creatinine clearance is computed from the adjusted body weight (docs/pharmacy.md).
 */
export function heightCmFor(patientId: string, female: boolean): number {
  const byte = createHash('sha256').update(patientId).digest()[0] ?? 128;
  return Math.round((female ? 163 : 177) + (byte / 255) * 24 - 12);
}

export function bodyHeight(input: Measured & { cm: number }): FhirResource {
  return vitalSign(BODY_HEIGHT_LOINC, 'Body height', { value: input.cm, unit: 'cm' }, input);
}

export interface AllergyKind {
  snomed: string;
  text: string;
  reaction: { snomed: string; text: string };
  criticality: 'low' | 'high' | 'unable-to-assess';
}

export const ALLERGIES = {
  penicillin: {
    snomed: '764146007',
    text: 'Penicillin',
    reaction: { snomed: '39579001', text: 'Anaphylaxis' },
    criticality: 'high',
  },
  nsaid: {
    snomed: '372665008',
    text: 'Non-steroidal anti-inflammatory agent',
    reaction: { snomed: '126485001', text: 'Urticaria' },
    criticality: 'low',
  },
  heparin: {
    snomed: '372877000',
    text: 'Heparin',
    reaction: { snomed: '302215000', text: 'Thrombocytopenia' },
    criticality: 'high',
  },
} as const satisfies Record<string, AllergyKind>;

export function allergy(input: {
  kind: AllergyKind;
  ward: string;
  patientId: string;
  at: string;
}): FhirResource {
  const { kind } = input;
  return {
    resourceType: 'AllergyIntolerance',
    meta: wardMeta(input.ward),
    clinicalStatus: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
      ],
    },
    verificationStatus: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
          code: 'confirmed',
        },
      ],
    },
    type: 'allergy',
    category: ['medication'],
    criticality: kind.criticality,
    code: {
      coding: [{ system: 'http://snomed.info/sct', code: kind.snomed, display: kind.text }],
      text: kind.text,
    },
    patient: { reference: `Patient/${input.patientId}` },
    recordedDate: input.at,
    reaction: [
      {
        manifestation: [
          {
            coding: [
              { system: 'http://snomed.info/sct', code: kind.reaction.snomed, display: kind.reaction.text },
            ],
            text: kind.reaction.text,
          },
        ],
      },
    ],
  };
}

export interface PatientContext {
  ward: string;
  patientId: string;
  encounterId: string | null;
  at: string;
  /** Age and sex, for the creatinine that goes with an eGFR (kidney-function.ts). */
  kidney: KidneyPatient;
}

/** The lab results one context kind stands for (weight is not a lab: null). */
const KIND_LABS: Record<ContextKind, readonly LabTest[] | null> = {
  weight: null,
  renal: [LABS.creatinine, LABS.egfr],
  potassium: [LABS.potassium],
  inr: [LABS.inr],
  glucose: [LABS.glucose],
};

/**
 * A kidney function pair that agrees for this patient: the eGFR given (a demo scenario names only
 * the eGFR), else mostly normal, one patient in seven with reduced function.
 */
function renalValues(random: Random, patient: KidneyPatient, egfr?: LabValue): [LabValue, LabValue] {
  if (egfr) return renalPair(egfr.value, patient);
  return renalPair(random.chance(1 / 7) ? random.int(18, 55) : random.int(62, 110), patient);
}

/** Observations for one context kind, with given values or values drawn from the random source. */
export function contextObservations(
  random: Random,
  kind: ContextKind,
  who: PatientContext,
  values?: readonly LabValue[],
): FhirResource[] {
  if (kind === 'weight') {
    const kg = values?.[0]?.value ?? Math.round(random.normal(76, 14) * 10) / 10;
    return [
      bodyWeight({ kg: Math.max(38, kg), ...who }),
      bodyHeight({ cm: heightCmFor(who.patientId, who.kidney.female), ...who }),
    ];
  }
  const tests = KIND_LABS[kind] ?? [];
  const drawn =
    kind === 'renal'
      ? renalValues(random, who.kidney, values?.[0])
      : (values ?? tests.map((t) => labValue(random, t, false)));
  return tests.map((test, i) => {
    const result = drawn[i] ?? labValue(random, test, false);
    return labObservation({ test, result, ...who });
  });
}
