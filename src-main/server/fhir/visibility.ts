// Reads as the caller may see them: a resource outside the caller's wards or scope conditions answers
// 404, exactly like one that never existed. A deleted resource answers 410 only to a caller who could
// read its last version; to anyone else it is as unknown as any other id (no existence oracle).
import type { AccessGrant } from '../base/grant.ts';
import { FhirError, notFound } from '../base/outcome.ts';
import type { StoredResource } from '../base/types.ts';
import type { ServerContext } from '../context.ts';
import { mayAccess } from '../store/access.ts';
import type { HistoryEntry } from '../store/resources.ts';

export const notKnown = (type: string, id: string): FhirError => notFound(`${type}/${id} is not known`);

/** Every version of the resource, newest first; empty when the id was never used. */
function versions(ctx: ServerContext, type: string, id: string): HistoryEntry[] {
  try {
    return ctx.store.history(type, id);
  } catch (error) {
    if (error instanceof FhirError && error.status === 404) return [];
    throw error;
  }
}

/** The newest stored (not deleted) version at or below `below`, if any. */
function lastLive(entries: readonly HistoryEntry[], below = Number.POSITIVE_INFINITY): StoredResource | null {
  return entries.find((entry) => entry.versionId <= below && entry.resource !== null)?.resource ?? null;
}

/** The last stored version of a deleted (or live) resource, or null when the id was never used. */
export function lastStoredVersion(ctx: ServerContext, type: string, id: string): StoredResource | null {
  return lastLive(versions(ctx, type, id));
}

/** The current version the grant may read; 410 for a deletion it could have read; otherwise 404. */
export function readableCurrent(
  ctx: ServerContext,
  grant: AccessGrant,
  type: string,
  id: string,
): StoredResource {
  const current = ctx.store.find(type, id);
  if (current) {
    if (mayAccess(grant, current, 'r')) return current;
    throw notKnown(type, id);
  }
  const last = lastLive(versions(ctx, type, id));
  if (last && mayAccess(grant, last, 'r'))
    throw new FhirError(410, 'deleted', `${type}/${id} has been deleted`);
  throw notKnown(type, id);
}

/** One version the grant may read (vread); a deletion version answers 410 under the same rule. */
export function readableVersion(
  ctx: ServerContext,
  grant: AccessGrant,
  type: string,
  id: string,
  versionId: number,
): StoredResource {
  const entries = versions(ctx, type, id);
  const entry = entries.find((e) => e.versionId === versionId);
  if (entry?.resource) {
    if (mayAccess(grant, entry.resource, 'r')) return entry.resource;
  } else if (entry) {
    const before = lastLive(entries, versionId - 1);
    if (before && mayAccess(grant, before, 'r')) {
      throw new FhirError(410, 'deleted', `${type}/${id}/_history/${versionId} is a deletion`);
    }
  }
  throw notFound(`${type}/${id}/_history/${versionId} is not known`);
}

/** The whole history, only when the grant may read every version (a label change must not expose the
 * earlier ward's data). */
export function readableHistory(
  ctx: ServerContext,
  grant: AccessGrant,
  type: string,
  id: string,
): HistoryEntry[] {
  const entries = versions(ctx, type, id);
  if (entries.length === 0 || entries.some((e) => e.resource && !mayAccess(grant, e.resource, 'r'))) {
    throw notKnown(type, id);
  }
  return entries;
}
