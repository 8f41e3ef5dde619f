// Create a record exactly once across workstations (docs/alerting.md, "Real servers"). Each record this
// client shares (an acknowledgment, a resolution, an escalation step) carries a business identifier
// derived from the result, and is created in one of two ways, chosen from the server's
// CapabilityStatement (capabilities.ts):
//
//   create-only PUT     `PUT Type/<derived id>` with `If-None-Match: *` (RFC 9110): the first writer
//                       creates it, every later one gets 412 and reads what the server holds. The
//                       embedded server; any server that does not declare `updateCreate: false`.
//   conditional create  `POST Type` with `If-None-Exist: identifier=<system>|<value>` (FHIR R4, http.html#ccreate):
//                       the server creates it (201) or answers with the one it holds (200; 412 when it
//                       holds several). For servers that declare `updateCreate: false` and
//                       `conditionalCreate: true`: Medplum 5.0.10 declares both and answers 400 "Invalid id"
//                       to a PUT of an id that is not a UUID (observed; in its source, a PUT of an
//                       unknown UUID is refused 404 too unless the user may set ids).
//
// Either way the caller learns the record the server holds, and whether it was this write that made it.
import { bundleResources, field, outcomeMessage, str } from '../../shared/fhir-json.ts';
import type { TypeCapability } from './capabilities.ts';
import { fhirFetch, type FhirAccess } from './fhir-client.ts';

export type CreateOnceWay = 'create-only-put' | 'conditional-create';

/** How to create a record of this type exactly once on a server that declares `capability`. */
export function createOnceWay(capability: TypeCapability | null): CreateOnceWay {
  return capability?.updateCreate === false && capability.conditionalCreate === true
    ? 'conditional-create'
    : 'create-only-put';
}

export interface RecordToCreate {
  resourceType: string;
  /** The id derived from the result: used as is by a create-only PUT, dropped for conditional create. */
  id: string;
  [element: string]: unknown;
}

export interface BusinessIdentifier {
  system: string;
  value: string;
}

/**
 * The identifier as a token search value, `system|value`, with FHIR's search escapes (`\\`, `\|`, `\,`,
 * `\$`) so a value holding one of them is matched as written. Not yet URL-encoded.
 */
export function identifierToken(identifier: BusinessIdentifier): string {
  const escape = (text: string) => text.replace(/[\\|,$]/g, (c) => `\\${c}`);
  return `${escape(identifier.system)}|${escape(identifier.value)}`;
}

export interface CreateOnceResult {
  /** `created`: this write made the record; `held`: the server already had one (another writer's). */
  outcome: 'created' | 'held';
  /** `Type/id` as the server holds it. */
  reference: string;
  /** The record the server holds. */
  resource: unknown;
}

function failure(what: string, status: number, body: unknown): Error {
  const diagnostics = outcomeMessage(body, 160);
  return new Error(`${what}: server answered ${status}${diagnostics ? `: ${diagnostics}` : ''}`);
}

/** The resource in `body` if it is a `type` with an id, else null (a 200 may come without a body). */
function asRecord(body: unknown, type: string): { resource: unknown; reference: string } | null {
  const id = str(field(body, 'id'));
  return str(field(body, 'resourceType')) === type && id
    ? { resource: body, reference: `${type}/${id}` }
    : null;
}

async function createWithPut(access: FhirAccess, record: RecordToCreate): Promise<CreateOnceResult> {
  const path = `${record.resourceType}/${record.id}`;
  const written = await fhirFetch(access, path, {
    method: 'PUT',
    body: record,
    headers: { 'If-None-Match': '*' },
  });
  if (written.status === 200 || written.status === 201) {
    return { outcome: 'created', reference: path, resource: written.body };
  }
  if (written.status !== 412) throw failure(path, written.status, written.body);
  const held = await fhirFetch(access, path);
  if (held.status !== 200) throw failure(`the server holds ${path}; reading it`, held.status, held.body);
  return { outcome: 'held', reference: path, resource: held.body };
}

/** The record the server holds under `identifier` (the oldest when it holds several). */
async function findHeld(
  access: FhirAccess,
  type: string,
  identifier: BusinessIdentifier,
): Promise<{ resource: unknown; reference: string }> {
  const query = new URLSearchParams({
    identifier: identifierToken(identifier),
    _sort: '_lastUpdated',
    _count: '1',
  });
  const found = await fhirFetch(access, `${type}?${query.toString()}`);
  if (found.status !== 200) throw failure(`searching ${type} by identifier`, found.status, found.body);
  const first = bundleResources(found.body)
    .map((resource) => asRecord(resource, type))
    .find((held) => held !== null);
  if (!first) throw new Error(`the server reported a ${type} with this identifier but none was found`);
  return first;
}

async function createConditionally(
  access: FhirAccess,
  record: RecordToCreate,
  identifier: BusinessIdentifier,
): Promise<CreateOnceResult> {
  // The server assigns the id; the identifier is what every writer shares.
  const withoutId: Record<string, unknown> = { ...record };
  delete withoutId['id'];
  const type = record.resourceType;
  const written = await fhirFetch(access, type, {
    method: 'POST',
    body: withoutId,
    headers: {
      'If-None-Exist': new URLSearchParams({ identifier: identifierToken(identifier) }).toString(),
    },
  });
  if (written.status === 201) {
    const created = asRecord(written.body, type);
    if (created) return { outcome: 'created', ...created };
    // Created with `Prefer: return=minimal` semantics: find it by its identifier.
    return { outcome: 'created', ...(await findHeld(access, type, identifier)) };
  }
  if (written.status === 200 || written.status === 412) {
    const held = written.status === 200 ? asRecord(written.body, type) : null;
    return { outcome: 'held', ...(held ?? (await findHeld(access, type, identifier))) };
  }
  throw failure(`creating ${type} conditionally`, written.status, written.body);
}

/** Create `record` once on the server, the way `way` says; what the server holds afterwards. */
export function createOnce(
  access: FhirAccess,
  record: RecordToCreate,
  identifier: BusinessIdentifier,
  way: CreateOnceWay,
): Promise<CreateOnceResult> {
  return way === 'conditional-create'
    ? createConditionally(access, record, identifier)
    : createWithPut(access, record);
}
