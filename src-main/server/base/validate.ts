// Structural validation of client-supplied resources: the resource type must match the URL, ids must
// follow the FHIR grammar, and each type's required elements (R4 cardinality 1..1) must be present.
// Unknown elements pass through; this is a gate against malformed input, not a full profile validator.
import { z } from 'zod';
import { isRecord } from '../../shared/fhir-json.ts';
import { badRequest } from './outcome.ts';
import type { FhirResource } from './types.ts';
import { ID_PATTERN } from './types.ts';

const code = z.string().min(1);
const concept = z.looseObject({});
const reference = z.looseObject({ reference: z.string().min(1) });
const meta = z.looseObject({
  security: z.array(z.looseObject({ system: z.string().optional(), code: z.string().optional() })).optional(),
  profile: z.array(z.string()).optional(),
});

const base = { resourceType: z.string(), id: z.string().optional(), meta: meta.optional() };

const SCHEMAS: Record<string, z.ZodType> = {
  Patient: z.looseObject({ ...base }),
  Practitioner: z.looseObject({ ...base }),
  PractitionerRole: z.looseObject({ ...base }),
  Location: z.looseObject({ ...base }),
  Organization: z.looseObject({ ...base }),
  Encounter: z.looseObject({ ...base, status: code, class: z.looseObject({}) }),
  Observation: z.looseObject({ ...base, status: code, code: concept }),
  MedicationRequest: z
    .looseObject({ ...base, status: code, intent: code, subject: reference })
    .refine((r) => 'medicationCodeableConcept' in r || 'medicationReference' in r, {
      message: 'medication[x] is required',
    }),
  DiagnosticReport: z.looseObject({ ...base, status: code, code: concept }),
  AllergyIntolerance: z.looseObject({ ...base, patient: reference }),
  Subscription: z.looseObject({ ...base, status: code, criteria: z.string(), channel: z.looseObject({}) }),
  Basic: z.looseObject({ ...base, code: concept }),
  Communication: z.looseObject({ ...base, status: code }),
  Task: z.looseObject({ ...base, status: code, intent: code }),
  Group: z.looseObject({ ...base, type: code, actual: z.boolean() }),
  DetectedIssue: z.looseObject({ ...base, status: code }),
  AuditEvent: z.looseObject({
    ...base,
    type: z.looseObject({}),
    recorded: z.string().min(1),
    agent: z.array(z.looseObject({ requestor: z.boolean() })).min(1),
    source: z.looseObject({ observer: reference }),
  }),
};

export function validateResource(type: string, body: unknown, urlId?: string): FhirResource {
  if (!isRecord(body)) throw badRequest('The request body must be a FHIR resource (a JSON object)');
  if (body.resourceType !== type) {
    throw badRequest(`resourceType must be '${type}', got '${String(body.resourceType)}'`);
  }
  if (urlId !== undefined && body.id !== urlId) {
    throw badRequest(`The resource id '${String(body.id)}' does not match the URL id '${urlId}'`);
  }
  if (body.id !== undefined && (typeof body.id !== 'string' || !ID_PATTERN.test(body.id))) {
    throw badRequest('Resource id must be 1-64 characters of A-Z a-z 0-9 - .');
  }
  const schema = SCHEMAS[type];
  if (!schema) throw badRequest(`Resource type ${type} is not supported`);
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw badRequest(
      `Invalid ${type}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  // The schema above checked every element FhirResource types (resourceType, id, meta.security/profile).
  return body as FhirResource;
}
