// What a sign-in actually grants: the requested scopes that are well formed and enforceable, narrowed to
// the ceiling of the user's or client's role (base/roles.ts) and, for a Backend Services registration,
// to its own `allowedScopes` as well. The consent page shows exactly this result and the grant stores it.
import { applyCeiling, ceilingEntries, ceilingFromScopes } from '../base/ceiling.ts';
import type { RoleName } from '../base/roles.ts';
import { isRoleName, ROLE_POLICIES, wardsProblem } from '../base/roles.ts';
import type { ScopeCondition } from '../base/scopes.ts';
import { parseScope, scopeConditions } from '../base/scopes.ts';
import type { DemoUser } from '../demo-users.ts';
import type { BackendClientRegistration } from './clients.ts';

/** Why a scope query's conditions cannot be enforced on a type, or null when they can (from the store). */
export type ScopeQueryCheck = (resourceType: string, conditions: readonly ScopeCondition[]) => string | null;

/** The role of a Backend Services registration that names none: read its wards, own subscriptions. */
export const DEFAULT_BACKEND_ROLE: RoleName = 'monitor';

export function backendRole(client: BackendClientRegistration): RoleName {
  return client.role ?? DEFAULT_BACKEND_ROLE;
}

/**
 * Why `scope` cannot be granted as written, or null: malformed, or narrowed by a query this server cannot
 * enforce. Such a scope is refused at grant time rather than granted and then read more widely.
 */
export function scopeProblem(scope: string, check: ScopeQueryCheck | undefined): string | null {
  const parsed = parseScope(scope);
  if (parsed.kind === 'invalid') return parsed.reason;
  if (parsed.kind !== 'clinical' || parsed.scope.query === null) return null;
  const { resourceType, query } = parsed.scope;
  if (resourceType === '*') return 'a scope query needs a resource type';
  const conditions = scopeConditions(query);
  if (!conditions) return 'the scope query cannot be percent-decoded';
  if (!check) return 'this server cannot enforce scope queries';
  return check(resourceType, conditions);
}

export interface Grantable {
  /** Scopes to grant. */
  granted: string[];
  /** Requested resource scopes of which nothing is within the ceiling. */
  refused: string[];
}

export function grantForUser(requested: readonly string[], user: DemoUser): Grantable {
  return applyCeiling(requested, ceilingEntries(ROLE_POLICIES[user.role].ceiling));
}

export function grantForRole(requested: readonly string[], role: RoleName): Grantable {
  return applyCeiling(requested, ceilingEntries(ROLE_POLICIES[role].ceiling));
}

export function grantForClient(requested: readonly string[], client: BackendClientRegistration): Grantable {
  const byRole = grantForRole(requested, backendRole(client));
  if (client.allowedScopes === undefined) return byRole;
  const byRegistration = applyCeiling(byRole.granted, ceilingFromScopes(client.allowedScopes));
  return { granted: byRegistration.granted, refused: [...byRole.refused, ...byRegistration.refused] };
}

export function hasResourceScope(scopes: readonly string[]): boolean {
  return scopes.some((scope) => parseScope(scope).kind === 'clinical');
}

/** Throws when a configured identity does not fit its role (unknown role, wrong number of wards). */
export function checkIdentity(who: string, role: unknown, wards: readonly string[]): void {
  if (!isRoleName(role)) throw new Error(`${who}: unknown role '${String(role)}'`);
  const problem = wardsProblem(role, wards);
  if (problem) throw new Error(`${who}: ${problem}`);
}

/** Throws when a Backend Services registration is inconsistent (role, wards, allowedScopes). */
export function checkRegistration(client: BackendClientRegistration): void {
  checkIdentity(`backend client ${client.clientId}`, backendRole(client), client.securityLabels);
  for (const scope of client.allowedScopes ?? []) {
    const parsed = parseScope(scope);
    if (parsed.kind !== 'clinical' || parsed.scope.context !== 'system') {
      throw new Error(
        `backend client ${client.clientId}: allowedScopes entry '${scope}' is not a system/ scope`,
      );
    }
  }
}
