// Batched claim-check reads: many foci of one type in one search, `Type?_id=a,b,c`, with the resources
// they name through `_include` (subject, encounter) in the same answer. Same origin, same token, same
// re-authorisation as a single read (fhirFetch refuses absolute URLs): the server leaves out whatever
// the user may not read, so a missing id is never "gone" here — the caller reads it alone to learn why.
import { field, isResource, records, str, type FhirJsonResource } from '../../shared/fhir-json.ts';
import { fhirFetch, FhirRequestError, type FhirAccess } from './fhir-client.ts';

/** Ids per search: keeps the request line well under common 8–16 KiB limits. */
export const MAX_BATCH_IDS = 100;
const SAFE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface BatchRead {
  /** The matches, by id. */
  matches: Map<string, FhirJsonResource>;
  /** Included resources, by `Type/id`. */
  included: Map<string, FhirJsonResource>;
}

/** Why a batch could not be used; `refused`: the server will not do it (4xx), do not ask again. */
export interface BatchFailure {
  failed: string;
  refused: boolean;
}

/**
 * Read `type` resources by id, with `includes` (`Observation:subject`, …). Never throws: a failure is
 * returned, and the caller falls back to single reads (which keep their own retry and owed rules).
 */
export async function readBatch(
  access: FhirAccess,
  type: string,
  ids: readonly string[],
  includes: readonly string[],
): Promise<BatchRead | BatchFailure> {
  if (ids.length === 0) return { matches: new Map(), included: new Map() };
  if (ids.length > MAX_BATCH_IDS || !ids.every((id) => SAFE_ID.test(id)) || !/^[A-Z][A-Za-z]+$/.test(type)) {
    return { failed: 'not a batchable id list', refused: true };
  }
  const query = new URLSearchParams({ _id: ids.join(','), _count: String(ids.length) });
  for (const include of includes) query.append('_include', include);
  try {
    const { status, body } = await fhirFetch(access, `${type}?${query.toString()}`);
    if (status !== 200 || !isResource(body, 'Bundle')) {
      return {
        failed: `search answered ${status}`,
        refused: status >= 400 && status < 500 && status !== 429,
      };
    }
    return splitSearchset(body, type, new Set(ids));
  } catch (error) {
    return {
      failed: error instanceof Error ? error.message : 'request failed',
      refused: error instanceof FhirRequestError,
    };
  }
}

/** Matches (of the asked ids only) and included resources of a searchset. */
function splitSearchset(bundle: unknown, type: string, asked: ReadonlySet<string>): BatchRead {
  const matches = new Map<string, FhirJsonResource>();
  const included = new Map<string, FhirJsonResource>();
  for (const entry of records(field(bundle, 'entry'))) {
    const resource = entry['resource'];
    if (!isResource(resource) || typeof resource.id !== 'string') continue;
    const mode = str(field(entry['search'], 'mode'));
    if (mode === 'include') included.set(`${resource.resourceType}/${resource.id}`, resource);
    else if (resource.resourceType === type && asked.has(resource.id)) matches.set(resource.id, resource);
  }
  return { matches, included };
}
