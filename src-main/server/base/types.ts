// Minimal structural types for the FHIR JSON the server handles. Resources are kept as JSON objects;
// only the fields the server reads are typed, everything else passes through untouched. Untrusted
// input is read with src-main/shared/fhir-json.ts; these types describe what the server has checked
// (validate.ts) or written itself (the store).

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface Meta {
  versionId?: string;
  lastUpdated?: string;
  profile?: string[];
  security?: Coding[];
  [key: string]: unknown;
}

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: Meta;
  [key: string]: unknown;
}

/** A stored resource always has an id and version metadata. */
export interface StoredResource extends FhirResource {
  id: string;
  meta: Meta & { versionId: string; lastUpdated: string };
}

export const RESOURCE_TYPES = [
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Location',
  'Organization',
  'Encounter',
  'Observation',
  'MedicationRequest',
  'DiagnosticReport',
  'AllergyIntolerance',
  'Subscription',
  'Basic',
  // Write-back of acknowledgments by the monitor.
  'Communication',
  'AuditEvent',
  // The closed loop across workstations: escalation steps addressed to people (docs/alerting.md), and
  // the care teams (a ward's nurses) they may be addressed to.
  'Task',
  'Group',
  // Pharmacist order verification (docs/pharmacy.md): each flagged problem.
  'DetectedIssue',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export function isResourceType(value: string): value is ResourceType {
  return (RESOURCE_TYPES as readonly string[]).includes(value);
}

/** The hospital's shared directory: every ward reads it; only an administrator writes it. */
export const ADMINISTRATIVE_TYPES: readonly string[] = [
  'Practitioner',
  'PractitionerRole',
  'Location',
  'Organization',
];

/**
 * What kind of data a type holds, which decides the write rules (docs/server.md, "Write rules"):
 * administrative (shared directory), subscription (owned by one user), topic (defined by the server) or
 * clinical — the default, so a type added later is held to the ward rules until someone decides otherwise.
 */
export type ResourceClass = 'administrative' | 'subscription' | 'topic' | 'clinical';

export function resourceClass(type: string): ResourceClass {
  if (ADMINISTRATIVE_TYPES.includes(type)) return 'administrative';
  if (type === 'Subscription') return 'subscription';
  if (type === 'Basic') return 'topic';
  return 'clinical';
}

/** FHIR id grammar: 1–64 of [A-Za-z0-9-.]. */
export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
