// Turns a fetched focus resource into a tier. The lab's own interpretation code wins (clinical.md §2.1:
// HH/LL/AA are the lab's critical flags); a LOINC threshold table is the fallback. The shipped limits
// are DEMO DEFAULTS, not clinical advice.
import type { AlertClass, FhirResource } from '../../shared/api.ts';

const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const CRITICAL_CODES = new Set(['HH', 'LL', 'AA']);
const ABNORMAL_CODES = new Set(['H', 'L', 'A', 'HU', 'LU']);
const CODE_WORDS: Record<string, string> = {
  HH: 'critical high',
  LL: 'critical low',
  AA: 'critical abnormal',
  H: 'high',
  L: 'low',
  A: 'abnormal',
};

export interface Threshold {
  loinc: string;
  name: string;
  unit: string;
  criticalLow: number | null;
  criticalHigh: number | null;
}

/** Demo defaults (adult), from clinical.md §2.2; not clinical advice. */
export const DEMO_THRESHOLDS: readonly Threshold[] = [
  { loinc: '2823-3', name: 'Potassium', unit: 'mmol/L', criticalLow: 2.8, criticalHigh: 6.2 },
  { loinc: '2951-2', name: 'Sodium', unit: 'mmol/L', criticalLow: 120, criticalHigh: 160 },
  { loinc: '2345-7', name: 'Glucose', unit: 'mg/dL', criticalLow: 40, criticalHigh: 500 },
  { loinc: '718-7', name: 'Hemoglobin', unit: 'g/dL', criticalLow: 7, criticalHigh: 20 },
];

/** Units that mean the same quantity for these analytes (mEq/L equals mmol/L for monovalent ions). */
const EQUIVALENT_UNITS: Record<string, string> = { 'meq/l': 'mmol/l' };

function normaliseUnit(unit: string): string {
  const lower = unit.trim().toLowerCase();
  return EQUIVALENT_UNITS[lower] ?? lower;
}

export interface Classification {
  tier: AlertClass;
  headline: string;
  reason: string;
  patientRef: string | null;
  location: string | null;
}

interface Coding {
  system?: unknown;
  code?: unknown;
  display?: unknown;
}

function codings(value: unknown): Coding[] {
  if (!value || typeof value !== 'object') return [];
  const list = (value as { coding?: unknown }).coding;
  return Array.isArray(list) ? list.filter((c): c is Coding => !!c && typeof c === 'object') : [];
}

function interpretationCodes(resource: FhirResource): string[] {
  const interpretation = resource['interpretation'];
  if (!Array.isArray(interpretation)) return [];
  return interpretation.flatMap((concept) =>
    codings(concept)
      .filter((c) => c.system === undefined || c.system === INTERPRETATION_SYSTEM)
      .map((c) => (typeof c.code === 'string' ? c.code : ''))
      .filter((code) => code !== ''),
  );
}

function referenceOf(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const ref = (value as { reference?: unknown }).reference;
  return typeof ref === 'string' ? ref : null;
}

function displayName(resource: FhirResource, threshold: Threshold | undefined): string {
  const code = resource['code'];
  const text = code && typeof code === 'object' ? (code as { text?: unknown }).text : undefined;
  if (threshold) return threshold.name;
  if (typeof text === 'string' && text.trim() !== '') return text.trim().slice(0, 80);
  const display = codings(code).find((c) => typeof c.display === 'string')?.display;
  return typeof display === 'string' ? display.slice(0, 80) : 'Observation';
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

export function classifyObservation(resource: FhirResource): Classification {
  const loinc = codings(resource['code']).find((c) => c.system === 'http://loinc.org')?.code;
  const threshold = DEMO_THRESHOLDS.find((t) => t.loinc === loinc);
  const name = displayName(resource, threshold);
  const quantity = resource['valueQuantity'] as
    { value?: unknown; unit?: unknown; code?: unknown } | undefined;
  const value =
    typeof quantity?.value === 'number' && Number.isFinite(quantity.value) ? quantity.value : null;
  const unit =
    typeof quantity?.code === 'string'
      ? quantity.code
      : typeof quantity?.unit === 'string'
        ? quantity.unit
        : '';
  const headline = value === null ? name : `${name} ${formatNumber(value)} ${unit}`.trim();
  const patientRef = referenceOf(resource['subject']);
  const codes = interpretationCodes(resource);

  const limit = thresholdViolation(threshold, value, unit);
  const critical = codes.find((c) => CRITICAL_CODES.has(c));
  if (critical) {
    const words = `${CODE_WORDS[critical] ?? critical} (${critical})`;
    return {
      tier: 'critical',
      headline,
      reason: limit ? `${words}; ${limit}` : words,
      patientRef,
      location: null,
    };
  }
  if (limit) return { tier: 'critical', headline, reason: limit, patientRef, location: null };
  const abnormal = codes.find((c) => ABNORMAL_CODES.has(c));
  if (abnormal) {
    return {
      tier: 'info',
      headline,
      reason: `${CODE_WORDS[abnormal] ?? abnormal} (${abnormal})`,
      patientRef,
      location: null,
    };
  }
  if (value === null && codes.length === 0) {
    return {
      tier: 'unclassified',
      headline,
      reason: 'no value and no interpretation',
      patientRef,
      location: null,
    };
  }
  return { tier: 'info', headline, reason: 'within demo limits', patientRef, location: null };
}

/** "limit > 6.2 mmol/L" when the value breaks a demo threshold in a comparable unit, else null. */
function thresholdViolation(
  threshold: Threshold | undefined,
  value: number | null,
  unit: string,
): string | null {
  if (!threshold || value === null) return null;
  if (normaliseUnit(unit) !== normaliseUnit(threshold.unit)) return null;
  if (threshold.criticalHigh !== null && value > threshold.criticalHigh) {
    return `limit > ${threshold.criticalHigh} ${threshold.unit}`;
  }
  if (threshold.criticalLow !== null && value < threshold.criticalLow) {
    return `limit < ${threshold.criticalLow} ${threshold.unit}`;
  }
  return null;
}

/** Classify any focus resource. Unknown types are informational, never dropped. */
export function classifyResource(resource: FhirResource): Classification {
  if (resource.resourceType === 'Observation') return classifyObservation(resource);
  if (resource.resourceType === 'MedicationRequest') {
    const priority = typeof resource['priority'] === 'string' ? resource['priority'] : 'routine';
    const high = priority === 'stat' || priority === 'asap' || priority === 'urgent';
    return {
      tier: high ? 'high' : 'info',
      headline: `Medication order (${priority})`,
      reason: high ? `priority ${priority}` : 'routine order',
      patientRef: referenceOf(resource['subject']),
      location: null,
    };
  }
  return {
    tier: 'info',
    headline: resource.resourceType,
    reason: 'informational',
    patientRef: referenceOf(resource['subject']) ?? referenceOf(resource['patient']),
    location: null,
  };
}
