// The ward rules on writes (docs/server.md, "Write rules"). The server, not the client, decides the ward
// labels of clinical data: a resource that references a Patient takes that patient's ward labels; a
// reference to a Patient outside the caller's wards is refused whether that patient exists elsewhere or
// not at all (the same 403, so a write cannot probe for patients); labels outside the grant, an update
// that strips a resource's labels, and a clinical resource with no ward at all are refused. Shared
// directory resources carry no ward (base/authz.ts guards who may write them).
import { isRecord, list, referenceOf, str } from '../../shared/fhir-json.ts';
import type { JsonRecord } from '../../shared/fhir-json.ts';
import { canSee, labelsAllow, WARD_LABEL_SYSTEM, wardLabels } from '../base/authz.ts';
import type { AccessGrant } from '../base/grant.ts';
import { FhirError, forbidden } from '../base/outcome.ts';
import type { Coding, FhirResource, StoredResource } from '../base/types.ts';
import { resourceClass } from '../base/types.ts';
import type { ServerContext } from '../context.ts';
import { normaliseReference } from '../store/search-params.ts';

/** Ids of every Patient the resource references, wherever the reference sits (absolute URLs included). */
export function referencedPatients(resource: unknown): string[] {
  return referencedIds(resource, 'Patient');
}

/** Ids of every resource of `type` the resource references, wherever the reference sits. */
function referencedIds(resource: unknown, type: string): string[] {
  const pattern = new RegExp(`^${type}/([^/?#]+)$`);
  const ids = new Set<string>();
  // Iterative: request bodies are depth-limited, but this must not depend on it.
  const stack: unknown[] = [resource];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (typeof node !== 'object' || node === null) continue;
    const reference = referenceOf(node);
    const match = reference ? pattern.exec(normaliseReference(reference)) : null;
    if (match?.[1]) ids.add(match[1]);
    // One push per child: spreading a large array into push() would overflow the call stack.
    for (const child of Object.values(node)) stack.push(child);
  }
  return [...ids];
}

function wardCodings(resource: unknown): Coding[] {
  return list(isRecord(resource) && isRecord(resource['meta']) ? resource['meta']['security'] : undefined)
    .filter(isRecord)
    .filter((coding) => coding['system'] === WARD_LABEL_SYSTEM)
    .flatMap((coding) => {
      const code = str(coding['code']);
      const display = str(coding['display']);
      return code ? [{ system: WARD_LABEL_SYSTEM, code, ...(display ? { display } : {}) }] : [];
    });
}

function otherSecurity(resource: FhirResource): JsonRecord[] {
  return list(resource.meta?.security)
    .filter(isRecord)
    .filter((coding) => coding['system'] !== WARD_LABEL_SYSTEM);
}

/** The Patients a write references, each one the caller may see; one it may not (or that does not
 * exist) is refused with the same answer. */
function visiblePatients(ctx: ServerContext, grant: AccessGrant, ids: readonly string[]): StoredResource[] {
  return ids.map((id) => {
    const patient = ctx.store.find('Patient', id);
    if (!patient || !canSee(grant, patient)) {
      throw forbidden('The resource references a Patient outside your grant');
    }
    return patient;
  });
}

/**
 * Order-verification records (docs/pharmacy.md) are about a medication order: every MedicationRequest
 * a Task or DetectedIssue names must be one the caller can see, else the same 403 as for a Patient.
 * (Who may write them at all is the role table, base/roles.ts: pharmacists only.)
 */
const ORDER_RECORD_TYPES = ['Task', 'DetectedIssue'];

function requireVisibleOrders(ctx: ServerContext, grant: AccessGrant, body: FhirResource): void {
  if (!ORDER_RECORD_TYPES.includes(body.resourceType)) return;
  for (const id of referencedIds(body, 'MedicationRequest')) {
    const order = ctx.store.find('MedicationRequest', id);
    if (!order || !canSee(grant, order)) {
      throw forbidden('The resource references a MedicationRequest outside your grant');
    }
  }
}

/**
 * The resource as it will be stored, with the ward labels the rules give it; throws 403 (or 400 for a
 * clinical resource with no ward at all) when the write breaks a rule. `existing` is the current version
 * of an update, already checked visible to the caller.
 */
export function applyWardRules(
  ctx: ServerContext,
  grant: AccessGrant,
  body: FhirResource,
  existing: StoredResource | null,
): FhirResource {
  const own = wardCodings(body);
  if (!labelsAllow(grant.securityLabels, wardLabels(body))) {
    throw forbidden('The resource carries ward labels outside your grant');
  }
  if (resourceClass(body.resourceType) !== 'clinical') return body;
  const referenced = referencedPatients(body).filter(
    (id) => !(body.resourceType === 'Patient' && id === body.id),
  );
  const patients = visiblePatients(ctx, grant, referenced);
  requireVisibleOrders(ctx, grant, body);
  // A patient's own labels are its ward; everything else belongs to the ward(s) of its patients.
  const derived = body.resourceType === 'Patient' ? [] : patients.flatMap(wardCodings);
  const chosen = derived.length > 0 ? derived : own;
  const labels = [...new Map(chosen.map((coding) => [coding.code, coding])).values()];
  if (labels.length === 0) {
    if (existing && wardLabels(existing).length > 0) {
      throw forbidden("The update would remove the resource's ward labels");
    }
    throw new FhirError(
      400,
      'required',
      'A clinical resource needs a subject Patient within your grant or a ward label (meta.security)',
    );
  }
  return { ...body, meta: { ...(body.meta ?? {}), security: [...otherSecurity(body), ...labels] } };
}
