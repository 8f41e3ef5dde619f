// Write a record that a business identifier names, creating it or replacing the one there: a
// pharmacist's decision on an order (a later decision on the same order replaces the earlier Task; a
// retry after a lost answer writes nothing twice). Chosen from the server's CapabilityStatement
// (capabilities.ts), like create-once.ts:
//
//   PUT by id            `PUT Type/<derived id>`: the embedded server, and any server that does not
//                        declare `updateCreate: false`.
//   conditional update   `PUT Type?identifier=<system>|<value>` with no id in the body (FHIR R4,
//                        http.html#cond-update): 201 when nothing matched, 200 when the one match was
//                        replaced, 412 when several match. For servers that declare `updateCreate: false`
//                        and `conditionalUpdate: true`, as Medplum 5.0.10 does (observed: 201 then 200 on
//                        the same id; 400 "Cannot perform create as update with client-assigned ID" when
//                        the body carries an id nothing matches).
import { outcomeMessage } from '../../shared/fhir-json.ts';
import type { TypeCapability } from './capabilities.ts';
import { identifierToken, type BusinessIdentifier, type RecordToCreate } from './create-once.ts';
import { fhirFetch, type FhirAccess } from './fhir-client.ts';

export type UpsertWay = 'put-by-id' | 'conditional-update';

/** How to create-or-replace a record of this type on a server that declares `capability`. */
export function upsertWay(capability: TypeCapability | null): UpsertWay {
  return capability?.updateCreate === false && capability.conditionalUpdate === true
    ? 'conditional-update'
    : 'put-by-id';
}

/** Create or replace `record`; throws with the server's words when it does not take it. */
export async function upsert(
  access: FhirAccess,
  record: RecordToCreate,
  identifier: BusinessIdentifier,
  way: UpsertWay,
): Promise<void> {
  const type = record.resourceType;
  const body: Record<string, unknown> = { ...record };
  let path = `${type}/${record.id}`;
  if (way === 'conditional-update') {
    delete body['id'];
    const query = new URLSearchParams({ identifier: identifierToken(identifier) });
    path = `${type}?${query.toString()}`;
  }
  const { status, body: answer } = await fhirFetch(access, path, { method: 'PUT', body });
  if (status !== 200 && status !== 201) {
    const diagnostics = outcomeMessage(answer, 160);
    throw new Error(`${type}: server answered ${status}${diagnostics ? `: ${diagnostics}` : ''}`);
  }
}
