// Authorization decisions shared by REST routes and channels: SMART scopes for the interaction, ward
// labels for the data. Patient-context (`patient/…`) scopes are not honoured: this server has no
// patient launch context, and failing closed is safer than guessing a compartment.
import { at, isRecord, list, str } from '../../shared/fhir-json.ts';
import type { AccessGrant } from './grant.ts';
import { forbidden } from './outcome.ts';

/** The `meta.security` system whose codes are ward access labels (docs/server.md, "Ward labels"). */
export const WARD_LABEL_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/ward';

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
