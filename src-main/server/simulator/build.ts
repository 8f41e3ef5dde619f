// FHIR resource builders for the ward simulator. Every patient-linked resource carries its ward as a
// meta.security label (WARD_LABEL_SYSTEM), which is what authorization filters on.
import { WARD_LABEL_SYSTEM } from '../base/authz.ts';
import type { JsonRecord } from '../../shared/fhir-json.ts';
import type { FhirResource } from '../base/types.ts';
import type { LabTest, Medication, Panel } from './catalog.ts';

export const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';

export const wardMeta = (ward: string): FhirResource['meta'] => ({
  security: [
    { system: WARD_LABEL_SYSTEM, code: ward, display: `Ward ${ward.replace('ward-', '').toUpperCase()}` },
  ],
});

export const bedId = (ward: string, bed: number): string => `${ward}-bed-${String(bed).padStart(2, '0')}`;

export function wardLocation(ward: string): FhirResource & { id: string } {
  const letter = ward.replace('ward-', '').toUpperCase();
  return {
    resourceType: 'Location',
    id: ward,
    status: 'active',
    name: `Ward ${letter} (adult medical)`,
    mode: 'instance',
    physicalType: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
          code: 'wa',
          display: 'Ward',
        },
      ],
    },
  };
}

export function bedLocation(ward: string, bed: number): FhirResource & { id: string } {
  return {
    resourceType: 'Location',
    id: bedId(ward, bed),
    status: 'active',
    name: `Ward ${ward.replace('ward-', '').toUpperCase()} bed ${bed}`,
    mode: 'instance',
    physicalType: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
          code: 'bd',
          display: 'Bed',
        },
      ],
    },
    partOf: { reference: `Location/${ward}` },
  };
}

export function patient(
  id: string,
  ward: string,
  given: string,
  family: string,
  gender: string,
  birthDate: string,
): FhirResource & { id: string } {
  return {
    resourceType: 'Patient',
    id,
    meta: wardMeta(ward),
    identifier: [{ system: 'http://alert-monitor.local/fhir/sid/mrn', value: id.toUpperCase() }],
    name: [{ use: 'official', family, given: [given] }],
    gender,
    birthDate,
  };
}

export function encounter(
  id: string,
  ward: string,
  patientId: string,
  bed: string,
  start: string,
): FhirResource & { id: string } {
  return {
    resourceType: 'Encounter',
    id,
    meta: wardMeta(ward),
    status: 'in-progress',
    class: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      code: 'IMP',
      display: 'inpatient encounter',
    },
    subject: { reference: `Patient/${patientId}` },
    period: { start },
    location: [{ location: { reference: `Location/${bed}` }, status: 'active', period: { start } }],
  };
}

export interface LabValue {
  value: number;
  interpretation: 'N' | 'H' | 'L' | 'HH' | 'LL';
}

export function labObservation(input: {
  test: LabTest;
  result: LabValue;
  ward: string;
  patientId: string;
  encounterId: string | null;
  at: string;
}): FhirResource {
  const { test, result, ward, patientId, encounterId, at } = input;
  const display = { N: 'Normal', H: 'High', L: 'Low', HH: 'Critical high', LL: 'Critical low' }[
    result.interpretation
  ];
  return {
    resourceType: 'Observation',
    meta: wardMeta(ward),
    status: 'final',
    category: [{ coding: [{ system: CATEGORY_SYSTEM, code: 'laboratory', display: 'Laboratory' }] }],
    code: {
      coding: [{ system: 'http://loinc.org', code: test.loinc, display: test.display }],
      text: test.text ?? test.display,
    },
    subject: { reference: `Patient/${patientId}` },
    ...(encounterId ? { encounter: { reference: `Encounter/${encounterId}` } } : {}),
    effectiveDateTime: at,
    issued: at,
    valueQuantity: {
      value: result.value,
      unit: test.unit,
      system: 'http://unitsofmeasure.org',
      code: test.unit,
    },
    interpretation: [{ coding: [{ system: INTERPRETATION_SYSTEM, code: result.interpretation, display }] }],
    referenceRange: [
      {
        low: { value: test.low, unit: test.unit, system: 'http://unitsofmeasure.org', code: test.unit },
        high: { value: test.high, unit: test.unit, system: 'http://unitsofmeasure.org', code: test.unit },
      },
    ],
  };
}

export function diagnosticReport(input: {
  panel: Panel;
  ward: string;
  patientId: string;
  encounterId: string | null;
  observationIds: string[];
  at: string;
}): FhirResource {
  return {
    resourceType: 'DiagnosticReport',
    meta: wardMeta(input.ward),
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: input.panel.loinc, display: input.panel.display }] },
    subject: { reference: `Patient/${input.patientId}` },
    ...(input.encounterId ? { encounter: { reference: `Encounter/${input.encounterId}` } } : {}),
    effectiveDateTime: input.at,
    issued: input.at,
    result: input.observationIds.map((id) => ({ reference: `Observation/${id}` })),
  };
}

const UCUM = 'http://unitsofmeasure.org';

/** The order's dosage as FHIR Dosage: dose with its UCUM unit, route (SNOMED CT), timing, and in words. */
function dosage(medication: Medication): JsonRecord {
  const { dose, route, frequency } = medication;
  return {
    text: `${dose.value} ${dose.unit.replace(/^\[iU\]$/, 'units')} ${route.display.replace(/ route$/, '').toLowerCase()} ${frequency.text}`,
    timing: {
      repeat: { frequency: frequency.frequency, period: frequency.period, periodUnit: frequency.periodUnit },
      code: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation', code: frequency.code },
        ],
        text: frequency.text,
      },
    },
    route: { coding: [{ system: 'http://snomed.info/sct', code: route.code, display: route.display }] },
    doseAndRate: [{ doseQuantity: { value: dose.value, unit: dose.unit, system: UCUM, code: dose.unit } }],
  };
}

export function medicationRequest(input: {
  medication: Medication;
  priority: 'routine' | 'urgent' | 'stat';
  ward: string;
  patientId: string;
  encounterId: string | null;
  requester: string;
  requesterDisplay?: string;
  at: string;
}): FhirResource {
  const { indication } = input.medication;
  return {
    resourceType: 'MedicationRequest',
    meta: wardMeta(input.ward),
    status: 'active',
    intent: 'order',
    priority: input.priority,
    medicationCodeableConcept: {
      coding: [
        {
          system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
          code: input.medication.rxnorm,
          display: input.medication.display,
        },
      ],
      text: input.medication.display,
    },
    subject: { reference: `Patient/${input.patientId}` },
    ...(input.encounterId ? { encounter: { reference: `Encounter/${input.encounterId}` } } : {}),
    authoredOn: input.at,
    requester: {
      reference: `Practitioner/${input.requester}`,
      ...(input.requesterDisplay ? { display: input.requesterDisplay } : {}),
    },
    reasonCode: [
      {
        ...(indication.snomed
          ? {
              coding: [
                { system: 'http://snomed.info/sct', code: indication.snomed, display: indication.text },
              ],
            }
          : {}),
        text: indication.text,
      },
    ],
    dosageInstruction: [dosage(input.medication)],
  };
}
