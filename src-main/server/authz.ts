// Authorization decisions shared by REST routes and channels: SMART scopes for the interaction, ward
// labels for the data. Patient-context (`patient/…`) scopes are not honoured: this server has no
// patient launch context, and failing closed is safer than guessing a compartment.
import type { AccessGrant } from './auth/grant.ts';
import type { FhirResource } from './fhir/types.ts';
import { forbidden } from './fhir/outcome.ts';
import { wardLabels } from './store/search-params.ts';

export type ScopeAction = 'c' | 'r' | 'u' | 'd' | 's';

const V1_ACTIONS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

export function scopeAllows(scopes: readonly string[], resourceType: string, action: ScopeAction): boolean {
  for (const scope of scopes) {
    const match = /^(user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$/.exec(scope);
    if (!match) continue;
    const [, , type, rawActions] = match;
    if (type !== '*' && type !== resourceType) continue;
    const actions = V1_ACTIONS[rawActions ?? ''] ?? rawActions ?? '';
    if (/^c?r?u?d?s?$/.test(actions) && actions.includes(action)) return true;
  }
  return false;
}

export function requireScope(grant: AccessGrant, resourceType: string, action: ScopeAction): void {
  if (!scopeAllows(grant.scopes, resourceType, action)) {
    throw forbidden(`The token's scopes do not allow '${action}' on ${resourceType}`);
  }
}

/** Every ward label of the resource must be in the grant; unlabelled resources are visible to all. */
export function labelsAllow(grantLabels: readonly string[], resourceLabels: readonly string[]): boolean {
  return resourceLabels.every((label) => grantLabels.includes(label));
}

export function canSee(grant: AccessGrant, resource: FhirResource): boolean {
  return labelsAllow(grant.securityLabels, wardLabels(resource));
}
