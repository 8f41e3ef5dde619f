// Authorization decisions shared by REST routes and channels: SMART scopes for the interaction, ward
// labels for the data. Patient-context (`patient/…`) scopes are not honoured: this server has no
// patient launch context, and failing closed is safer than guessing a compartment.
//
// A granular scope (`user/Observation.rs?category=…|vital-signs`) allows the interaction only on the
// resources its conditions match; `scopeAccess` says which, and store/access.ts applies it to a resource
// (reads, writes, delivered events) or to a search (in SQL). A query is never dropped: a condition the
// server cannot evaluate was refused when the scope was granted.
import { at, isRecord, list, str } from '../../shared/fhir-json.ts';
import type { AccessGrant } from './grant.ts';
import { forbidden } from './outcome.ts';
import type { ScopeCondition } from './scopes.ts';
import { parseScope, scopeConditions } from './scopes.ts';
import { resourceClass } from './types.ts';

/** The `meta.security` system whose codes are ward access labels (docs/server.md, "Ward labels"). */
export const WARD_LABEL_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/ward';

export type ScopeAction = 'c' | 'r' | 'u' | 'd' | 's';

/**
 * What a grant's scopes allow for one action on one type: nothing, every resource, or the resources that
 * satisfy at least one of the listed condition sets (each set ANDed, the sets ORed).
 */
export type ScopeAccess =
  { kind: 'none' } | { kind: 'all' } | { kind: 'some'; queries: readonly (readonly ScopeCondition[])[] };

const NONE: ScopeAccess = { kind: 'none' };
const ALL: ScopeAccess = { kind: 'all' };

function isWrite(action: ScopeAction): boolean {
  return action === 'c' || action === 'u' || action === 'd';
}

/**
 * What `scopes` allow for `action` on `resourceType`. Writes to the shared directory (Practitioner,
 * PractitionerRole, Location, Organization) need a scope naming the type itself: a wildcard never
 * grants them (docs/auth.md, "Roles").
 */
export function scopeAccess(
  scopes: readonly string[],
  resourceType: string,
  action: ScopeAction,
): ScopeAccess {
  const explicitOnly = isWrite(action) && resourceClass(resourceType) === 'administrative';
  const queries: ScopeCondition[][] = [];
  for (const text of scopes) {
    const parsed = parseScope(text);
    if (parsed.kind !== 'clinical' || parsed.scope.context === 'patient') continue;
    const { resourceType: type, permissions, query } = parsed.scope;
    if (type !== resourceType && (type !== '*' || explicitOnly)) continue;
    if (!permissions.includes(action)) continue;
    if (query === null) return ALL;
    const conditions = scopeConditions(query);
    // Unreadable conditions allow nothing (they cannot be granted; this is the fail-closed backstop).
    if (conditions !== null && type !== '*') queries.push(conditions);
  }
  return queries.length > 0 ? { kind: 'some', queries } : NONE;
}

/** The grant's access for the interaction; 403 when its scopes allow it on no resource of the type. */
export function requireScope(grant: AccessGrant, resourceType: string, action: ScopeAction): ScopeAccess {
  const access = scopeAccess(grant.scopes, resourceType, action);
  if (access.kind === 'none') {
    throw forbidden(`The token's scopes do not allow '${action}' on ${resourceType}`);
  }
  return access;
}

/**
 * The access labels (ward codes) a resource carries; it is visible only to grants holding all of them.
 * A lone Coding where a list belongs still counts: misreading a label must fail closed, not open.
 */
export function wardLabels(resource: unknown): string[] {
  return list(at(resource, 'meta', 'security'))
    .filter(isRecord)
    .filter((coding) => coding['system'] === WARD_LABEL_SYSTEM)
    .map((coding) => str(coding['code']))
    .filter((code): code is string => code !== null);
}

/** Every ward label of the resource must be in the grant; unlabelled resources are visible to all. */
export function labelsAllow(grantLabels: readonly string[], resourceLabels: readonly string[]): boolean {
  return resourceLabels.every((label) => grantLabels.includes(label));
}

export function canSee(grant: AccessGrant, resource: unknown): boolean {
  return labelsAllow(grant.securityLabels, wardLabels(resource));
}
