// Granular SMART scopes applied to data: whether one resource satisfies a grant's scope conditions
// (reads, writes, events logged and delivered) and the SQL that restricts a search to the resources
// that do. A condition is a search parameter of the type matched exactly as the search and topic
// filters match it (store/search-params.ts), so `category=…|vital-signs` means what it means in a search.
import type { ScopeAccess, ScopeAction } from '../base/authz.ts';
import { canSee, scopeAccess } from '../base/authz.ts';
import type { AccessGrant } from '../base/grant.ts';
import type { ScopeCondition } from '../base/scopes.ts';
import type { FhirResource } from '../base/types.ts';
import type { SearchParamDef } from './search-params.ts';
import { normaliseReferenceQuery, SEARCH_PARAMS } from './search-params.ts';

/** Index values a condition accepts (a comma is OR, as in a search). */
function conditionValues(def: SearchParamDef, value: string): string[] {
  return value
    .split(',')
    .filter((v) => v.length > 0)
    .map((v) => (def.kind === 'reference' ? normaliseReferenceQuery(def, v) : v));
}

function conditionHolds(resource: FhirResource, [param, value]: ScopeCondition): boolean {
  const def = SEARCH_PARAMS[resource.resourceType]?.[param];
  if (!def) return false;
  const have = new Set(def.extract(resource));
  return conditionValues(def, value).some((v) => have.has(v));
}

/** Whether `resource` is one the access allows. */
export function accessAllows(access: ScopeAccess, resource: FhirResource): boolean {
  if (access.kind !== 'some') return access.kind === 'all';
  return access.queries.some((conditions) => conditions.every((c) => conditionHolds(resource, c)));
}

/** Ward labels and scope conditions together: may this grant perform `action` on this resource? */
export function mayAccess(grant: AccessGrant, resource: FhirResource, action: ScopeAction): boolean {
  return (
    canSee(grant, resource) &&
    accessAllows(scopeAccess(grant.scopes, resource.resourceType, action), resource)
  );
}

/**
 * May this grant act on an existing resource with a write `action`: within its wards, and one it may
 * read or may perform the action on (a write-only feed can still update its own ward's data). Anything
 * else is, to this caller, a resource that does not exist.
 */
export function mayTarget(grant: AccessGrant, resource: FhirResource, action: ScopeAction): boolean {
  const type = resource.resourceType;
  return (
    canSee(grant, resource) &&
    (accessAllows(scopeAccess(grant.scopes, type, 'r'), resource) ||
      accessAllows(scopeAccess(grant.scopes, type, action), resource))
  );
}

/** The same question for an owner recorded with a subscription (its scopes; null = recorded before scopes were). */
export function scopesAllowResource(scopes: readonly string[] | null, resource: FhirResource): boolean {
  return scopes === null || accessAllows(scopeAccess(scopes, resource.resourceType, 'r'), resource);
}

/**
 * Why a granular scope's conditions cannot be enforced on `resourceType` (so the scope must be refused
 * when granted), or null when they can: each must name a token or reference search parameter of the
 * type, without modifiers, with a value; Subscription takes none.
 */
export function scopeConditionsProblem(
  resourceType: string,
  conditions: readonly ScopeCondition[],
): string | null {
  // A subscription is reached through operations and channels as well as reads: conditions on it would
  // be honoured in some places only, so they are refused instead.
  if (resourceType === 'Subscription') return 'scope conditions are not supported on Subscription';
  for (const [param, value] of conditions) {
    const def = SEARCH_PARAMS[resourceType]?.[param];
    if (!def) return `'${param}' is not a search parameter of ${resourceType} this server can enforce`;
    if (def.kind === 'date')
      return `'${param}' is a date parameter; scopes may restrict by token or reference`;
    if (conditionValues(def, value).length === 0) return `'${param}' has no value`;
  }
  return null;
}

/**
 * SQL (over `resource_current r` of `resourceType`) selecting the resources a search access allows, with
 * its arguments appended to `args`; null when nothing restricts (access `all`).
 */
export function accessCondition(resourceType: string, access: ScopeAccess, args: unknown[]): string | null {
  if (access.kind === 'all') return null;
  if (access.kind === 'none') return '0';
  const alternatives = access.queries.map((conditions) => {
    const parts = conditions.map(([param, value]) => {
      const def = SEARCH_PARAMS[resourceType]?.[param];
      const values = def ? conditionValues(def, value) : [];
      if (values.length === 0) return '0';
      args.push(param, ...values);
      return `EXISTS (SELECT 1 FROM search_index s WHERE s.type = r.type AND s.id = r.id AND s.param = ?
        AND s.value IN (${values.map(() => '?').join(',')}))`;
    });
    return `(${parts.join(' AND ')})`;
  });
  return `(${alternatives.join(' OR ')})`;
}
