// `_include` on a search: the resources a match names through one of its reference search parameters
// (`Observation:subject`, `Observation:encounter`), added to the searchset with mode 'include'. An
// included resource is subject to exactly the rules of a read: one the caller may not read (another
// ward, outside its scopes) or that does not exist is left out, never revealed. Only `Type:param` with
// a reference parameter of the searched type is accepted (no wildcard, no `:iterate`): a clear 400
// instead of a silently partial answer.
import type { AccessGrant } from '../base/grant.ts';
import { badRequest } from '../base/outcome.ts';
import type { StoredResource } from '../base/types.ts';
import { mayAccess } from './access.ts';
import { SEARCH_PARAMS, type SearchParamDef } from './search-params.ts';

/** The parameter names of `_include` values, validated against the searched type. */
export function includeParams(type: string, params: readonly [string, string][]): SearchParamDef[] {
  const defs: SearchParamDef[] = [];
  for (const [name, value] of params) {
    if (name !== '_include') {
      if (name.startsWith('_include:') || name === '_revinclude')
        throw badRequest(`'${name}' is not supported (only _include=${type}:<reference parameter>)`);
      continue;
    }
    const [source, param, target, ...rest] = value.split(':');
    const def = param ? SEARCH_PARAMS[type]?.[param] : undefined;
    if (source !== type || !def || def.kind !== 'reference' || rest.length > 0) {
      throw badRequest(`_include '${value}' is not a reference parameter of ${type}`);
    }
    if (target !== undefined && target !== def.targetType)
      throw badRequest(`_include '${value}': ${param} refers to ${def.targetType ?? 'another type'}`);
    defs.push(def);
  }
  return defs;
}

/** What the matches name through the included parameters, as the caller may read it; each once. */
export function includedResources(
  matches: readonly StoredResource[],
  defs: readonly SearchParamDef[],
  grant: AccessGrant,
  find: (type: string, id: string) => StoredResource | null,
): StoredResource[] {
  const seen = new Set(matches.map((m) => `${m.resourceType}/${m.id}`));
  const included: StoredResource[] = [];
  for (const match of matches) {
    for (const def of defs) {
      for (const reference of def.extract(match)) {
        if (seen.has(reference)) continue;
        seen.add(reference);
        const [type, id, ...rest] = reference.split('/');
        if (!type || !id || rest.length > 0) continue;
        const resource = find(type, id);
        if (resource && mayAccess(grant, resource, 'r')) included.push(resource);
      }
    }
  }
  return included;
}
