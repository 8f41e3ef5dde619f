// What a server says it does with each resource type, read from its CapabilityStatement (`GET metadata`)
// once per server and kept until a caller forgets it (a new sign-in, a refused write). The write paths ask it two things: whether the
// server takes a type at all (update), and how a record named by a business identifier is written there
// (`create-once.ts`, `upsert.ts`): a server that declares `updateCreate: false` (Medplum 5.0.10 does,
// and refuses ids it did not assign) is written to with conditional create or conditional update
// instead of a PUT of an id the client derived.
import { field, records } from '../../shared/fhir-json.ts';
import { fhirFetch, type FhirAccess } from './fhir-client.ts';

export interface TypeCapability {
  /** `interaction` lists `update`. */
  update: boolean;
  /** `interaction` lists `create`. */
  create: boolean;
  /** `updateCreate` as declared; null when the statement does not say. */
  updateCreate: boolean | null;
  /** `conditionalCreate` as declared; null when the statement does not say. */
  conditionalCreate: boolean | null;
  /** `conditionalUpdate` as declared; null when the statement does not say. */
  conditionalUpdate: boolean | null;
}

export interface ServerCapabilities {
  /** The type's entry, or null when the server does not list the type. */
  of(type: string): TypeCapability | null;
}

const optionalBoolean = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);

/** The per-type entries of a CapabilityStatement (untrusted JSON: anything unreadable is "not listed"). */
export function readCapabilities(statement: unknown): ServerCapabilities {
  const types = new Map<string, TypeCapability>();
  for (const rest of records(field(statement, 'rest'))) {
    for (const resource of records(rest['resource'])) {
      const type = resource['type'];
      if (typeof type !== 'string' || types.has(type)) continue;
      const interactions = new Set(records(resource['interaction']).map((i) => i['code']));
      types.set(type, {
        update: interactions.has('update'),
        create: interactions.has('create'),
        updateCreate: optionalBoolean(resource['updateCreate']),
        conditionalCreate: optionalBoolean(resource['conditionalCreate']),
        conditionalUpdate: optionalBoolean(resource['conditionalUpdate']),
      });
    }
  }
  return { of: (type) => types.get(type) ?? null };
}

export interface CapabilityCache {
  /** The server's capabilities, read once per FHIR base; throws when `metadata` cannot be read. */
  get(access: FhirAccess): Promise<ServerCapabilities>;
  /** Forget every server's statement (a new sign-in may reach a reconfigured server). */
  clear(): void;
}

export function createCapabilityCache(): CapabilityCache {
  const known = new Map<string, ServerCapabilities>();
  return {
    async get(access) {
      const cached = known.get(access.fhirBase);
      if (cached) return cached;
      const { status, body } = await fhirFetch(access, 'metadata');
      if (status !== 200) throw new Error(`CapabilityStatement answered ${status}`);
      const read = readCapabilities(body);
      known.set(access.fhirBase, read);
      return read;
    },
    clear: () => known.clear(),
  };
}
