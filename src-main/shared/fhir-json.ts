// The one reader of untrusted FHIR JSON, shared by the embedded server, the client core and the
// renderer. Anything that arrives from a network or a file is `unknown` until one of these accessors
// has checked its shape; none of them throws, whatever the input, and none renders markup.
//
// Conventions: accessors return `null` (scalars) or `[]` (lists) for a missing or mistyped field, so
// callers chain them without casts: `str(field(field(obs, 'valueQuantity'), 'unit'))`.
// This file imports nothing from the project (lint-enforced), so every part of the tree can use it.

/** A JSON object as parsed; the keys are untrusted. */
export type JsonRecord = Record<string, unknown>;

/** Any parsed FHIR resource: a JSON object with a `resourceType`. */
export interface FhirJsonResource extends JsonRecord {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; [key: string]: unknown };
}

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object with a non-empty string `resourceType` (optionally of one type). */
export function isResource(value: unknown, type?: string): value is FhirJsonResource {
  if (!isRecord(value)) return false;
  const resourceType = value['resourceType'];
  if (typeof resourceType !== 'string' || resourceType.length === 0) return false;
  return type === undefined || resourceType === type;
}

/** `value[key]` when `value` is an object with that own key, else undefined (never an inherited member
 * such as `toString`). */
export function field(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** Walk nested object keys: `at(obs, 'valueQuantity', 'unit')`. Arrays are not indexed. */
export function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = field(current, key);
  return current;
}

/**
 * The first of `keys` that `value` carries (present, even if mistyped), for a FHIR choice element
 * `value[x]`: `choice(param, ['valueString', 'valueInteger'])`. Undefined when none is present.
 */
export function choice(value: unknown, keys: readonly string[]): unknown {
  for (const key of keys) {
    const found = field(value, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A non-empty string, else null. */
export function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** A finite number, else null. */
export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A boolean, else null. */
export function bool(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

/** The object itself, else null: `{ ...(record(period) ?? {}), end }`. */
export function record(value: unknown): JsonRecord | null {
  return isRecord(value) ? value : null;
}

/** The array itself, or [] for anything else (strict: FHIR repeating elements are arrays). */
export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Lenient: an array as is, a single value wrapped, undefined/null as []. For sloppy senders. */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The object members of an array field (anything else dropped). */
export function records(value: unknown): JsonRecord[] {
  return arr(value).filter(isRecord);
}

/** The string members of an array field. */
export function strings(value: unknown): string[] {
  return arr(value).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** The members of a Parameters `parameter` list (or a parameter's `part` list) with this `name`. */
export function namedParameters(list: unknown, name: string): JsonRecord[] {
  return records(list).filter((parameter) => parameter['name'] === name);
}

/** `Type/id` of a resource, or null without both. */
export function referenceTo(resource: unknown): string | null {
  const type = str(field(resource, 'resourceType'));
  const id = str(field(resource, 'id'));
  return type && id ? `${type}/${id}` : null;
}

/** The `reference` of a Reference, else null. */
export function referenceOf(value: unknown): string | null {
  return str(field(value, 'reference'));
}

/** A Reference's display text, falling back to its reference. */
export function referenceDisplay(value: unknown): string | null {
  return str(field(value, 'display')) ?? referenceOf(value);
}

/** "Given Family" (or `text`) from the first usable HumanName; trimmed and bounded. */
export function humanName(names: unknown, max = 120): string | null {
  for (const name of list(names)) {
    if (!isRecord(name)) continue;
    const text = str(name['text'])?.trim();
    if (text) return text.slice(0, max);
    const joined = [...strings(name['given']), str(name['family']) ?? ''].join(' ').trim();
    if (joined) return joined.slice(0, max);
  }
  return null;
}

export interface CodingValue {
  system: string | null;
  code: string | null;
  display: string | null;
}

/** The codings of a CodeableConcept (only members that are objects). */
export function codings(concept: unknown): CodingValue[] {
  return records(field(concept, 'coding')).map((c) => ({
    system: str(c['system']),
    code: str(c['code']),
    display: str(c['display']),
  }));
}

/** The first coding's code of a CodeableConcept. */
export function firstCode(concept: unknown): string | null {
  return codings(concept)[0]?.code ?? null;
}

/** Whether a CodeableConcept carries (system, code); `system` null matches any system. */
export function hasCoding(concept: unknown, system: string | null, code: string): boolean {
  return codings(concept).some((c) => c.code === code && (system === null || c.system === system));
}

/** A Coding's display, else its code. */
export function codingDisplay(coding: unknown): string | null {
  return str(field(coding, 'display')) ?? str(field(coding, 'code'));
}

/** A CodeableConcept's text, else its first coding with a display or code. */
export function conceptText(concept: unknown): string | null {
  if (!isRecord(concept)) return null;
  return (
    str(concept['text']) ??
    records(concept['coding'])
      .map(codingDisplay)
      .find((d) => d !== null) ??
    null
  );
}

export interface QuantityValue {
  value: number;
  unit: string | null;
  system: string | null;
  code: string | null;
}

/** A Quantity with a numeric value, else null. */
export function quantity(value: unknown): QuantityValue | null {
  const v = num(field(value, 'value'));
  if (v === null) return null;
  return {
    value: v,
    unit: str(field(value, 'unit')),
    system: str(field(value, 'system')),
    code: str(field(value, 'code')),
  };
}

/** "6.8 mmol/L": a Quantity's value and unit (or code), else null. */
export function quantityText(value: unknown): string | null {
  const q = quantity(value);
  return q ? `${q.value} ${q.unit ?? q.code ?? ''}`.trim() : null;
}

/** The `meta.security` codings of a resource. */
export function securityLabels(resource: unknown): CodingValue[] {
  return records(at(resource, 'meta', 'security')).map((c) => ({
    system: str(c['system']),
    code: str(c['code']),
    display: str(c['display']),
  }));
}

/** The resources of a Bundle's entries (entries without an object resource are skipped). */
export function bundleResources(bundle: unknown, type?: string): FhirJsonResource[] {
  return records(field(bundle, 'entry'))
    .map((entry) => entry['resource'])
    .filter((resource): resource is FhirJsonResource => isResource(resource, type));
}

/** The first `issue[].diagnostics` (or `details.text`) of an OperationOutcome, bounded. */
export function outcomeMessage(outcome: unknown, max = 200): string | null {
  for (const issue of records(field(outcome, 'issue'))) {
    const text = str(issue['diagnostics']) ?? str(at(issue, 'details', 'text'));
    if (text) return text.slice(0, max);
  }
  return null;
}

/** Parse JSON text without throwing: `undefined` for text that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// ---- UCUM units for display ----
// `{INR}` → "INR", `10*9/L` → "×10⁹/L", `uL` → "µL", `mm[Hg]` → "mmHg", `m2` → "m²". Display only:
// values are compared in their UCUM form by the rules engine (src-main/core/rules/units.ts); nothing
// parses the text these return. Here because both the renderer and the core word units.

const SUPERSCRIPT: Record<string, string> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '-': '⁻',
};

const superscript = (digits: string): string => [...digits].map((d) => SUPERSCRIPT[d] ?? d).join('');

/**
 * Rewrite the UCUM spellings inside a text (a unit alone, or a headline such as "INR 5.6 {INR}").
 * Only unit-shaped tokens change: numbers and words stay as they are. Not a string: "".
 */
export function readableUnits(value: unknown): string {
  const text = str(value) ?? '';
  return (
    text
      // Annotations: {INR} → INR, {1.73_m2} → 1.73 m2 (the exponent is handled below).
      .replace(/\{([^{}]{1,40})\}/g, (_, inner: string) => inner.replace(/_/g, ' '))
      // Powers of ten: 10*9/L, 10^9/L → ×10⁹/L.
      .replace(/(^|[\s(/])10[*^](-?\d{1,2})(?=\/|\s|$|\))/g, (_, lead: string, power: string) => {
        return `${lead}×10${superscript(power)}`;
      })
      // Square brackets mark special units: mm[Hg] → mmHg, [IU] → IU.
      .replace(/\[([A-Za-z_]{1,12})\]/g, '$1')
      // The micro prefix: uL, ug, umol, ukat, uU, ueq → µ…
      .replace(/(^|[\s(/.·×\d])u(L|l|g|mol|kat|U|IU|eq|m)(?=$|[\s/).·])/g, '$1µ$2')
      // Area and volume exponents on a metre: m2 → m², cm3 → cm³.
      .replace(/(^|[\s(/.])(c|m|d)?m([23])(?=$|[\s/).])/g, (_, lead: string, prefix = '', power: string) => {
        return `${lead}${prefix}m${superscript(power)}`;
      })
  );
}

/** One unit, readable; the dimensionless "1" (or no unit) shows as nothing. */
export function readableUnit(unit: unknown): string {
  const text = str(unit);
  if (!text || text === '1') return '';
  return readableUnits(text);
}
