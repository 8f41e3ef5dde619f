// What the workstation's resource cache keeps of a fetched resource (client-store.ts writes it; the
// schema's migration 9 reduced the rows written before).
import { at, str } from '../../shared/fhir-json.ts';

/**
 * What the cache keeps of a resource: its type, id, version and security labels, the only parts ever
 * read back (the version tells a changed result from a repeat, the labels keep a write-back on the
 * result's ward). The value, the patient and the rest of the result stay on the server: less PHI at
 * rest, and a catch-up's enrichment writes half the pages it did (docs/benchmarks.md, fifth run).
 */
export interface CachedPart {
  resourceType: string | null;
  id?: string;
  meta: { versionId?: string; security?: unknown[] };
}

export function cachedPart(resource: Record<string, unknown>): CachedPart {
  const versionId = str(at(resource, 'meta', 'versionId'));
  const security = at(resource, 'meta', 'security');
  return {
    resourceType: str(resource['resourceType']),
    ...(typeof resource['id'] === 'string' ? { id: resource['id'] } : {}),
    meta: {
      ...(versionId !== null ? { versionId } : {}),
      ...(Array.isArray(security) ? { security } : {}),
    },
  };
}
