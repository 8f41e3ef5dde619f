// Intersecting requested SMART scopes with a ceiling (a role's, a registration's allowedScopes). A
// requested clinical scope keeps only what some ceiling entry also allows: the types both name, the
// permissions both hold, and both queries (conditions AND together). `user/*.cruds` asked by a nurse
// becomes `user/*.rs user/Subscription.cruds user/Communication.cru`; nothing outside the ceiling
// survives, and nothing inside it is lost.
import type { ClinicalScope } from './scopes.ts';
import { formatScope, parseScope } from './scopes.ts';

/** One ceiling entry: a scope without its context. */
export interface CeilingEntry {
  resourceType: string;
  permissions: string;
  query: string | null;
}

/** Parses `Type.perms[?query]` entries (a role's ceiling); throws on a malformed one (a programming error). */
export function ceilingEntries(bodies: readonly string[]): CeilingEntry[] {
  return bodies.map((body) => {
    const parsed = parseScope(`system/${body}`);
    if (parsed.kind !== 'clinical') throw new Error(`malformed ceiling entry: ${body}`);
    const { resourceType, permissions, query } = parsed.scope;
    if (resourceType === '*' && query !== null) throw new Error(`a ceiling query needs a type: ${body}`);
    return { resourceType, permissions, query };
  });
}

/** The ceiling entries of granted `context/…` scopes (a registration's allowedScopes). */
export function ceilingFromScopes(scopes: readonly string[]): CeilingEntry[] {
  return scopes.flatMap((scope) => {
    const parsed = parseScope(scope);
    if (parsed.kind !== 'clinical') return [];
    const { resourceType, permissions, query } = parsed.scope;
    return [{ resourceType, permissions, query }];
  });
}

const ORDER = 'cruds';

function intersect(requested: ClinicalScope, entry: CeilingEntry): ClinicalScope | null {
  let resourceType: string;
  if (entry.resourceType === '*' || entry.resourceType === requested.resourceType) {
    resourceType = requested.resourceType;
  } else if (requested.resourceType === '*') resourceType = entry.resourceType;
  else return null;
  const permissions = [...ORDER]
    .filter((p) => requested.permissions.includes(p) && entry.permissions.includes(p))
    .join('');
  if (permissions.length === 0) return null;
  const queries = [...new Set([requested.query, entry.query].filter((q): q is string => q !== null))];
  return { context: requested.context, resourceType, permissions, query: queries.join('&') || null };
}

function covers(wide: ClinicalScope, narrow: ClinicalScope): boolean {
  return (
    wide.context === narrow.context &&
    (wide.resourceType === '*' || wide.resourceType === narrow.resourceType) &&
    [...narrow.permissions].every((p) => wide.permissions.includes(p)) &&
    (wide.query === null || wide.query === narrow.query)
  );
}

function sameScope(a: ClinicalScope, b: ClinicalScope): boolean {
  return covers(a, b) && covers(b, a);
}

export interface CeilingResult {
  /** What may be granted, in request order; a scope inside the ceiling keeps its requested spelling. */
  granted: string[];
  /** Requested clinical scopes of which nothing is within the ceiling. */
  refused: string[];
}

/** Narrows the clinical scopes of `requested` to `ceiling`; every other scope passes unchanged. */
export function applyCeiling(requested: readonly string[], ceiling: readonly CeilingEntry[]): CeilingResult {
  const candidates: { text: string; scope: ClinicalScope | null }[] = [];
  const refused: string[] = [];
  for (const text of requested) {
    const parsed = parseScope(text);
    if (parsed.kind !== 'clinical') {
      candidates.push({ text, scope: null });
      continue;
    }
    const narrowed = ceiling
      .map((entry) => intersect(parsed.scope, entry))
      .filter((s): s is ClinicalScope => s !== null);
    if (narrowed.length === 0) refused.push(text);
    else if (narrowed.some((s) => sameScope(s, parsed.scope))) candidates.push({ text, scope: parsed.scope });
    else for (const scope of narrowed) candidates.push({ text: formatScope(scope), scope });
  }
  const granted: string[] = [];
  candidates.forEach((candidate, index) => {
    if (granted.includes(candidate.text)) return;
    const { scope } = candidate;
    // Drop what another granted scope already covers (`user/Observation.rs` beside `user/*.rs`).
    const redundant =
      scope !== null &&
      candidates.some(
        (other, j) =>
          j !== index &&
          other.scope !== null &&
          covers(other.scope, scope) &&
          (!covers(scope, other.scope) || j < index),
      );
    if (!redundant) granted.push(candidate.text);
  });
  return { granted, refused };
}
