// Reading untrusted FHIR JSON into display strings. Every accessor checks types; nothing here renders
// markup (React escapes text), and narrative (`text.div`) is never shown.
import type { FhirResource } from '../../src-main/shared/api.ts';

type Json = unknown;

const isRecord = (v: Json): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const asArray = (v: Json): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
export const str = (v: Json): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export function humanName(names: Json): string | null {
  const name = asArray(names).find(isRecord);
  if (!name) return null;
  const text = str(name['text']);
  if (text) return text;
  const given = asArray(name['given']).filter((g): g is string => typeof g === 'string');
  const family = str(name['family']);
  const joined = [...given, family ?? ''].join(' ').trim();
  return joined || null;
}

export function codingDisplay(coding: Json): string | null {
  if (!isRecord(coding)) return null;
  return str(coding['display']) ?? str(coding['code']);
}

export function conceptText(concept: Json): string | null {
  if (!isRecord(concept)) return null;
  return (
    str(concept['text']) ??
    asArray(concept['coding'])
      .map(codingDisplay)
      .find((d) => d !== null) ??
    null
  );
}

export function firstCode(concept: Json): string | null {
  if (!isRecord(concept)) return null;
  const c = asArray(concept['coding']).find(isRecord);
  return c ? str(c['code']) : null;
}

export function quantityText(q: Json): string | null {
  if (!isRecord(q) || typeof q['value'] !== 'number') return null;
  return `${q['value']} ${str(q['unit']) ?? str(q['code']) ?? ''}`.trim();
}

export function referenceOf(v: Json): string | null {
  return isRecord(v) ? str(v['reference']) : null;
}

export function referenceDisplay(v: Json): string | null {
  return isRecord(v) ? (str(v['display']) ?? str(v['reference'])) : null;
}

/** Age in whole years from a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD). */
export function ageFrom(birthDate: Json, now = new Date()): number | null {
  const b = str(birthDate);
  if (!b || !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(b)) return null;
  const [y, m = 1, d = 1] = b.split('-').map(Number) as [number, number?, number?];
  let age = now.getFullYear() - y;
  if (now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d)) age -= 1;
  return age >= 0 ? age : null;
}

export function mrnOf(patient: FhirResource): string | null {
  const ids = asArray(patient['identifier']).filter(isRecord);
  const mrn = ids.find((i) => (str(i['system']) ?? '').toLowerCase().includes('mrn')) ?? ids[0];
  return mrn ? str(mrn['value']) : null;
}

export function rangeText(ranges: Json): string | null {
  const r = asArray(ranges).find(isRecord);
  if (!r) return null;
  const text = str(r['text']);
  if (text) return text;
  const low = quantityText(r['low']);
  const high = quantityText(r['high']);
  if (low && high) return `${low} – ${high}`;
  if (low) return `≥ ${low}`;
  if (high) return `≤ ${high}`;
  return null;
}

export function interpretationText(interps: Json): string | null {
  const parts = asArray(interps)
    .map((i) => {
      const text = conceptText(i);
      const code = firstCode(i);
      return text && code && text !== code ? `${text} (${code})` : (text ?? code);
    })
    .filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(', ') : null;
}

export function periodText(period: Json): string | null {
  if (!isRecord(period)) return null;
  const start = str(period['start']);
  const end = str(period['end']);
  if (!start && !end) return null;
  return `${start ? dateTimeText(start) : '?'} → ${end ? dateTimeText(end) : 'ongoing'}`;
}

export function dateTimeText(iso: Json): string {
  const s = str(iso);
  if (!s) return 'unknown';
  const t = Date.parse(s);
  if (Number.isNaN(t)) return s;
  return new Date(t).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

export interface DosageText {
  dose: string | null;
  route: string | null;
  frequency: string | null;
  text: string | null;
}

export function dosageOf(resource: FhirResource): DosageText {
  const dosage = asArray(resource['dosageInstruction']).find(isRecord);
  if (!dosage) return { dose: null, route: null, frequency: null, text: null };
  const doseAndRate = asArray(dosage['doseAndRate']).find(isRecord);
  const dose = doseAndRate ? quantityText(doseAndRate['doseQuantity']) : null;
  const timing = isRecord(dosage['timing']) ? dosage['timing'] : null;
  const repeat = timing && isRecord(timing['repeat']) ? timing['repeat'] : null;
  let frequency = timing ? conceptText(timing['code']) : null;
  if (
    !frequency &&
    repeat &&
    typeof repeat['frequency'] === 'number' &&
    typeof repeat['period'] === 'number'
  ) {
    frequency =
      `${repeat['frequency']} × every ${repeat['period']} ${str(repeat['periodUnit']) ?? ''}`.trim();
  }
  return { dose, route: conceptText(dosage['route']), frequency, text: str(dosage['text']) };
}

export function medicationText(resource: FhirResource): string {
  return (
    conceptText(resource['medicationCodeableConcept']) ??
    referenceDisplay(resource['medicationReference']) ??
    'Unnamed medication'
  );
}

export const PRIORITY_RANK: Record<string, number> = { stat: 0, asap: 1, urgent: 2, routine: 3 };
export const priorityOf = (resource: FhirResource): string => str(resource['priority']) ?? 'routine';

/** Short human summary of any value for the generic resource view (depth-limited, no markup). */
export function valueSummary(value: Json, depth = 0): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (Array.isArray(value))
    return value
      .map((v) => valueSummary(v, depth + 1))
      .filter(Boolean)
      .join('; ');
  if (isRecord(value)) {
    const readable =
      conceptText(value) ?? quantityText(value) ?? referenceDisplay(value) ?? humanName([value]) ?? null;
    if (
      readable &&
      (value['coding'] ||
        typeof value['text'] === 'string' ||
        value['value'] !== undefined ||
        value['reference'] ||
        value['family'])
    )
      return readable;
    if (depth > 2) return '…';
    return Object.entries(value)
      .filter(([k]) => k !== 'extension' && k !== 'text')
      .map(([k, v]) => `${k}: ${valueSummary(v, depth + 1)}`)
      .join(', ');
  }
  return '';
}

/** Top-level fields worth showing in the generic view (no meta, narrative or contained). */
export function genericFields(resource: FhirResource): [string, string][] {
  const skip = new Set(['resourceType', 'id', 'meta', 'text', 'contained', 'extension', 'modifierExtension']);
  return Object.entries(resource)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]): [string, string] => [k.replace(/([a-z])([A-Z])/g, '$1 $2'), valueSummary(v)])
    .filter(([, v]) => v.length > 0)
    .slice(0, 40);
}
