// SMART App Launch 2.x scope grammar: `(patient|user|system)/(Type|*).[c][r][u][d][s]` with an optional
// `?param=value&…` query; the v1 suffixes `.read`, `.write` and `.*` are accepted and mapped to v2. The
// authorization server grants with it and every authorization decision reads it, so it lives on the
// ground floor: one grammar for both.

export const SCOPE_CONTEXTS = ['patient', 'user', 'system'] as const;
export type ScopeContext = (typeof SCOPE_CONTEXTS)[number];

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
  const [, rawContext, resourceType, rawPermissions, query] = match;
  const context = SCOPE_CONTEXTS.find((c) => c === rawContext);
  if (!context || resourceType === undefined || rawPermissions === undefined) {
    return { kind: 'invalid', name: token, reason: 'does not match (patient|user|system)/(Type|*).cruds' };
  }
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

/** One `param=value` condition of a scope query; all of a scope's conditions must hold (AND). */
export type ScopeCondition = readonly [param: string, value: string];

/**
 * The conditions of a scope query (`category=http://…|vital-signs&code=…`), percent-decoded; null when a
 * name or value cannot be decoded, so a scope the server cannot read is refused rather than guessed.
 */
export function scopeConditions(query: string): ScopeCondition[] | null {
  const conditions: ScopeCondition[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    try {
      conditions.push([decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))]);
    } catch {
      return null;
    }
  }
  return conditions;
}
