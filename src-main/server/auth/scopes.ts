// SMART App Launch 2.x scope grammar: `(patient|user|system)/(Type|*).[c][r][u][d][s]` with an optional
// `?param=value` query; the v1 suffixes `.read`, `.write` and `.*` are accepted and mapped to v2.

export type ScopeContext = 'patient' | 'user' | 'system';

export interface ClinicalScope {
  context: ScopeContext;
  /** A FHIR resource type or `*`. */
  resourceType: string;
  /** A non-empty subsequence of `cruds`, in that order. */
  permissions: string;
  /** Raw query after `?` (e.g. `category=…|laboratory`), or null. */
  query: string | null;
}

export type ParsedScope =
  | { kind: 'clinical'; scope: ClinicalScope; /** v2 spelling of the scope. */ v2: string }
  | { kind: 'identity'; name: 'openid' | 'fhirUser' | 'profile' }
  | { kind: 'refresh'; name: 'offline_access' | 'online_access' }
  | { kind: 'launch'; name: 'launch' | 'launch/patient' | 'launch/encounter' }
  | { kind: 'unknown'; name: string }
  | { kind: 'invalid'; name: string; reason: string };

const CLINICAL = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.([^?]+)(?:\?(.*))?$/s;
const V2_PERMISSIONS = /^c?r?u?d?s?$/;
const V1_PERMISSIONS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

export function parseScope(token: string): ParsedScope {
  switch (token) {
    case 'openid':
    case 'fhirUser':
    case 'profile':
      return { kind: 'identity', name: token };
    case 'offline_access':
    case 'online_access':
      return { kind: 'refresh', name: token };
    case 'launch':
    case 'launch/patient':
    case 'launch/encounter':
      return { kind: 'launch', name: token };
  }
  if (!/^(patient|user|system)\//.test(token)) return { kind: 'unknown', name: token };
  const match = CLINICAL.exec(token);
  if (!match)
    return { kind: 'invalid', name: token, reason: 'does not match (patient|user|system)/(Type|*).cruds' };
  const [, context, resourceType, rawPermissions, query] = match as unknown as [
    string,
    ScopeContext,
    string,
    string,
    string | undefined,
  ];
  let permissions = V1_PERMISSIONS[rawPermissions];
  if (permissions === undefined) {
    if (rawPermissions.length === 0 || !V2_PERMISSIONS.test(rawPermissions)) {
      return {
        kind: 'invalid',
        name: token,
        reason: 'permissions must be a subsequence of c r u d s, in that order',
      };
    }
    permissions = rawPermissions;
  }
  if (query !== undefined && (query.length === 0 || !/^[^=&]+=[^&]*(&[^=&]+=[^&]*)*$/.test(query))) {
    return { kind: 'invalid', name: token, reason: 'malformed scope query' };
  }
  const scope: ClinicalScope = { context, resourceType, permissions, query: query ?? null };
  return { kind: 'clinical', scope, v2: formatScope(scope) };
}

export function formatScope(scope: ClinicalScope): string {
  return `${scope.context}/${scope.resourceType}.${scope.permissions}${scope.query === null ? '' : `?${scope.query}`}`;
}

export function splitScopeString(scope: string | undefined | null): string[] {
  if (!scope) return [];
  return [...new Set(scope.split(/[ \t\r\n]+/).filter((s) => s.length > 0))];
}

/** The v2 spelling of every scope (v1 clinical scopes mapped, others unchanged). */
export function normalizeScopes(scopes: readonly string[]): string[] {
  return scopes.map((s) => {
    const parsed = parseScope(s);
    return parsed.kind === 'clinical' ? parsed.v2 : s;
  });
}

/** Does any granted scope allow `permission` (one of c r u d s) on `resourceType` in `context`? */
export function scopesAllow(
  scopes: readonly string[],
  context: ScopeContext,
  resourceType: string,
  permission: 'c' | 'r' | 'u' | 'd' | 's',
): boolean {
  return scopes.some((s) => {
    const parsed = parseScope(s);
    return (
      parsed.kind === 'clinical' &&
      parsed.scope.context === context &&
      (parsed.scope.resourceType === '*' || parsed.scope.resourceType === resourceType) &&
      parsed.scope.permissions.includes(permission)
    );
  });
}
