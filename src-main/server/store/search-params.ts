// Search parameters the server supports, and how each one's values are extracted from a resource. The
// same extraction feeds the SQL search index and the in-memory matching of subscription filters and
// topic query criteria, so a filter matches exactly what the equivalent search would return.
// Extraction is lenient (a lone element where a list belongs still counts), so that a resource is
// never indexed as having less than it carries.
import { field, list, referenceOf, str } from '../../shared/fhir-json.ts';
import { wardLabels } from '../base/authz.ts';
import type { FhirResource } from '../base/types.ts';

export type ParamKind = 'token' | 'reference' | 'date';

export interface SearchParamDef {
  kind: ParamKind;
  /** For reference parameters given a bare id: the resource type to prefix. */
  targetType?: string;
  extract: (resource: FhirResource) => string[];
}

function codingTokens(coding: unknown): string[] {
  const code = str(field(coding, 'code'));
  if (!code) return [];
  const system = str(field(coding, 'system'));
  return system ? [code, `${system}|${code}`] : [code, `|${code}`];
}

function conceptTokens(concept: unknown): string[] {
  return list(field(concept, 'coding')).flatMap(codingTokens);
}

/** Every value at a dotted element path, lists flattened at each step. */
function valuesAt(resource: FhirResource, path: string): unknown[] {
  let current: unknown[] = [resource];
  for (const part of path.split('.')) {
    current = current.flatMap((value) => list(field(value, part)));
  }
  return current;
}

const concepts =
  (path: string) =>
  (r: FhirResource): string[] =>
    valuesAt(r, path).flatMap(conceptTokens);
const codes =
  (path: string) =>
  (r: FhirResource): string[] =>
    valuesAt(r, path).filter((v): v is string => typeof v === 'string');
const identifiers = (r: FhirResource): string[] =>
  valuesAt(r, 'identifier').flatMap((id) => {
    const value = str(field(id, 'value'));
    if (!value) return [];
    const system = str(field(id, 'system'));
    return system ? [value, `${system}|${value}`] : [value];
  });

/** Relative `Type/id` form of a reference; absolute URLs keep only their last two segments. */
export function normaliseReference(reference: string): string {
  const parts = reference.split('/').filter((p) => p.length > 0);
  if (parts.length >= 2) return `${parts[parts.length - 2]}/${parts[parts.length - 1]}`;
  return reference;
}

const references =
  (...paths: string[]) =>
  (r: FhirResource): string[] =>
    paths.flatMap((path) =>
      valuesAt(r, path)
        .map(referenceOf)
        .filter((v): v is string => v !== null)
        .map(normaliseReference),
    );

/** Normalise an instant to UTC ISO so string comparison orders correctly; dates stay as given. */
export function normaliseDate(value: string): string {
  if (value.length > 10 && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return value;
}

const dates =
  (...paths: string[]) =>
  (r: FhirResource): string[] =>
    paths.flatMap((path) =>
      valuesAt(r, path)
        .filter((v): v is string => typeof v === 'string')
        .map(normaliseDate),
    );

/** Ward of a resource as a location: `Location/ward-a` for label `ward-a`, so `location=` filters by ward. */
const wardLocations = (r: FhirResource): string[] => wardLabels(r).map((ward) => `Location/${ward}`);

const subject = (targetType?: string): SearchParamDef => ({
  kind: 'reference',
  ...(targetType ? { targetType } : {}),
  extract: (r) => {
    const refs = references('subject', 'patient')(r);
    return targetType ? refs.filter((ref) => ref.startsWith(`${targetType}/`)) : refs;
  },
});
const patient = subject('Patient');
const wardLocation: SearchParamDef = { kind: 'reference', targetType: 'Location', extract: wardLocations };

export const SEARCH_PARAMS: Record<string, Record<string, SearchParamDef>> = {
  Patient: { identifier: { kind: 'token', extract: identifiers }, location: wardLocation },
  Practitioner: { identifier: { kind: 'token', extract: identifiers } },
  PractitionerRole: {
    identifier: { kind: 'token', extract: identifiers },
    practitioner: { kind: 'reference', targetType: 'Practitioner', extract: references('practitioner') },
    location: { kind: 'reference', targetType: 'Location', extract: references('location') },
    organization: { kind: 'reference', targetType: 'Organization', extract: references('organization') },
    // Who holds which role where: an escalation step is addressed by role (docs/alerting.md).
    role: { kind: 'token', extract: concepts('code') },
    active: { kind: 'token', extract: (r) => valuesAt(r, 'active').map(String) },
  },
  Group: {
    identifier: { kind: 'token', extract: identifiers },
    code: { kind: 'token', extract: concepts('code') },
    type: { kind: 'token', extract: codes('type') },
    member: { kind: 'reference', extract: references('member.entity') },
  },
  Organization: { identifier: { kind: 'token', extract: identifiers } },
  Location: {
    partof: { kind: 'reference', targetType: 'Location', extract: references('partOf') },
    status: { kind: 'token', extract: codes('status') },
  },
  Encounter: {
    patient,
    subject: subject(),
    status: { kind: 'token', extract: codes('status') },
    class: { kind: 'token', extract: (r) => valuesAt(r, 'class').flatMap(codingTokens) },
    date: { kind: 'date', extract: dates('period.start') },
    location: {
      kind: 'reference',
      targetType: 'Location',
      extract: (r) => [...references('location.location')(r), ...wardLocations(r)],
    },
  },
  Observation: {
    patient,
    subject: subject(),
    category: { kind: 'token', extract: concepts('category') },
    code: { kind: 'token', extract: concepts('code') },
    status: { kind: 'token', extract: codes('status') },
    date: { kind: 'date', extract: dates('effectiveDateTime', 'effectivePeriod.start', 'issued') },
    encounter: { kind: 'reference', targetType: 'Encounter', extract: references('encounter') },
    location: wardLocation,
  },
  MedicationRequest: {
    patient,
    subject: subject(),
    status: { kind: 'token', extract: codes('status') },
    intent: { kind: 'token', extract: codes('intent') },
    priority: { kind: 'token', extract: codes('priority') },
    code: { kind: 'token', extract: concepts('medicationCodeableConcept') },
    date: { kind: 'date', extract: dates('authoredOn') },
    encounter: { kind: 'reference', targetType: 'Encounter', extract: references('encounter') },
    location: wardLocation,
  },
  DiagnosticReport: {
    patient,
    subject: subject(),
    status: { kind: 'token', extract: codes('status') },
    category: { kind: 'token', extract: concepts('category') },
    code: { kind: 'token', extract: concepts('code') },
    date: { kind: 'date', extract: dates('effectiveDateTime', 'effectivePeriod.start', 'issued') },
    location: wardLocation,
  },
  AllergyIntolerance: {
    patient,
    code: { kind: 'token', extract: concepts('code') },
    date: { kind: 'date', extract: dates('recordedDate') },
    'clinical-status': { kind: 'token', extract: concepts('clinicalStatus') },
    location: wardLocation,
  },
  Subscription: { status: { kind: 'token', extract: codes('status') } },
  Basic: { code: { kind: 'token', extract: concepts('code') } },
  Communication: {
    patient,
    subject: subject(),
    status: { kind: 'token', extract: codes('status') },
    category: { kind: 'token', extract: concepts('category') },
    sender: { kind: 'reference', extract: references('sender') },
    identifier: { kind: 'token', extract: identifiers },
    sent: { kind: 'date', extract: dates('sent') },
    about: { kind: 'reference', extract: references('about') },
    location: wardLocation,
  },
  // Escalation steps of the closed loop: who was asked (owner), about which result (focus).
  Task: {
    patient: {
      kind: 'reference',
      targetType: 'Patient',
      extract: (r) => references('for')(r).filter((ref) => ref.startsWith('Patient/')),
    },
    subject: { kind: 'reference', extract: references('for') },
    identifier: { kind: 'token', extract: identifiers },
    status: { kind: 'token', extract: codes('status') },
    code: { kind: 'token', extract: concepts('code') },
    focus: { kind: 'reference', extract: references('focus') },
    owner: { kind: 'reference', extract: references('owner') },
    'authored-on': { kind: 'date', extract: dates('authoredOn') },
    // A pharmacist's verification outcome (docs/pharmacy.md).
    'business-status': { kind: 'token', extract: concepts('businessStatus') },
    location: wardLocation,
  },
  DetectedIssue: {
    patient,
    code: { kind: 'token', extract: concepts('code') },
    implicated: { kind: 'reference', extract: references('implicated') },
    author: { kind: 'reference', extract: references('author') },
    identifier: { kind: 'token', extract: identifiers },
    location: wardLocation,
  },
  AuditEvent: {
    type: { kind: 'token', extract: (r) => valuesAt(r, 'type').flatMap(codingTokens) },
    agent: { kind: 'reference', extract: references('agent.who') },
    entity: { kind: 'reference', extract: references('entity.what') },
    date: { kind: 'date', extract: dates('recorded') },
  },
};

/** Index rows for one resource version: every search parameter value plus its ward labels. */
export function indexEntries(resource: FhirResource): { param: string; value: string }[] {
  const defs = SEARCH_PARAMS[resource.resourceType] ?? {};
  const out: { param: string; value: string }[] = [];
  for (const [param, def] of Object.entries(defs)) {
    for (const value of new Set(def.extract(resource))) out.push({ param, value });
  }
  for (const ward of wardLabels(resource)) out.push({ param: '_ward', value: ward });
  return out;
}

/** A query value of a reference parameter in the stored `Type/id` form. */
export function normaliseReferenceQuery(def: SearchParamDef, value: string): string {
  if (value.includes('/')) return normaliseReference(value);
  return def.targetType ? `${def.targetType}/${value}` : value;
}
