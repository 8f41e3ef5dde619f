// Create, update and delete for every type but Subscription (subscription-rest.ts) and topics (read-only).
// The order of checks is what keeps writes from being an existence oracle (docs/server.md, "Write
// answers"): the type-level scope check (403) and body validation (400) depend on nothing stored; then
// a target the caller cannot read — another ward's, deleted, or never there — answers the same 404;
// only then do the ward rules (403) and scope conditions (403) look at the new content.
import type { ScopeAccess } from '../base/authz.ts';
import { scopeAccess } from '../base/authz.ts';
import type { AccessGrant } from '../base/grant.ts';
import { FhirError, forbidden } from '../base/outcome.ts';
import type { FhirResource, StoredResource } from '../base/types.ts';
import type { ServerContext } from '../context.ts';
import { accessAllows, mayTarget } from '../store/access.ts';
import type { WritePrecondition } from '../store/resources.ts';
import { lastStoredVersion, notKnown } from './visibility.ts';
import { applyWardRules } from './ward-rules.ts';

/**
 * Shortest id a client may choose when it creates with PUT. Such ids (a UUID, a hash) cannot be guessed,
 * so learning that one is already taken tells a caller nothing it could have asked about; a shorter
 * unknown id answers 404 exactly like another ward's resource.
 */
export const MIN_CLIENT_ID_LENGTH = 32;

function requireAllowed(access: ScopeAccess, resource: FhirResource, action: string): void {
  if (!accessAllows(access, resource)) {
    throw forbidden(`The token's scopes do not allow '${action}' on this ${resource.resourceType}`);
  }
}

export function createResource(
  ctx: ServerContext,
  grant: AccessGrant,
  access: ScopeAccess,
  body: FhirResource,
) {
  const labelled = applyWardRules(ctx, grant, body, null);
  requireAllowed(access, labelled, 'c');
  const { id: _ignored, ...rest } = labelled;
  return ctx.store.create({ ...rest, resourceType: body.resourceType });
}

/** The scope check of a PUT: it may update or create; 403 only when the scopes allow neither. */
export function requireUpdateOrCreate(grant: AccessGrant, type: string): void {
  const update = scopeAccess(grant.scopes, type, 'u');
  const create = scopeAccess(grant.scopes, type, 'c');
  if (update.kind === 'none' && create.kind === 'none') {
    throw forbidden(`The token's scopes do not allow 'u' or 'c' on ${type}`);
  }
}

/**
 * May this PUT to an id the caller cannot read create it? Only a fresh, unguessable id, or the id of a
 * deleted resource the caller could have written; anything else (a live or deleted resource of another ward, a
 * short unknown id) answers like every unknown id.
 */
function mayCreateAt(ctx: ServerContext, grant: AccessGrant, type: string, id: string): boolean {
  if (scopeAccess(grant.scopes, type, 'c').kind === 'none') return false;
  if (ctx.store.find(type, id) !== null) return false;
  const deleted = lastStoredVersion(ctx, type, id);
  if (deleted) return mayTarget(grant, deleted, 'c');
  return id.length >= MIN_CLIENT_ID_LENGTH;
}

export function updateResource(
  ctx: ServerContext,
  grant: AccessGrant,
  body: FhirResource & { id: string },
  ifMatch: WritePrecondition | undefined,
): { resource: StoredResource; created: boolean } {
  const type = body.resourceType;
  const existing = ctx.store.find(type, body.id);
  // Create-only (If-None-Match: *) on a resource the caller may see: it exists, whatever the caller
  // may change (a ward workstation may issue an escalation step, not update one): 412, not 403.
  if (existing && ifMatch === 'absent' && mayTarget(grant, existing, 'r'))
    throw new FhirError(412, 'conflict', `${type}/${body.id} already exists (If-None-Match: *)`);
  if (!existing || !mayTarget(grant, existing, 'u')) {
    if (!mayCreateAt(ctx, grant, type, body.id)) throw notKnown(type, body.id);
    const labelled = applyWardRules(ctx, grant, body, null);
    requireAllowed(scopeAccess(grant.scopes, type, 'c'), labelled, 'c');
    return ctx.store.update({ ...labelled, id: body.id }, ifMatch);
  }
  const access = scopeAccess(grant.scopes, type, 'u');
  requireAllowed(access, existing, 'u');
  const labelled = applyWardRules(ctx, grant, body, existing);
  requireAllowed(access, labelled, 'u');
  return ctx.store.update({ ...labelled, id: body.id }, ifMatch);
}

export function deleteResource(
  ctx: ServerContext,
  grant: AccessGrant,
  access: ScopeAccess,
  type: string,
  id: string,
): void {
  const existing = ctx.store.find(type, id);
  if (!existing || !mayTarget(grant, existing, 'd')) throw notKnown(type, id);
  requireAllowed(access, existing, 'd');
  ctx.store.delete(type, id);
}
