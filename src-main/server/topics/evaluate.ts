// Topic trigger evaluation with the spec's semantics (R5 SubscriptionTopic.resourceTrigger):
// query criteria decide `previous`/`current` (create → resultForCreate, delete → resultForDelete),
// `requireBoth` ANDs them, else ORs; a FHIRPath criterion over %previous/%current must also hold.
// Search-style criteria are matched with the same extraction the search index uses.
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';
import type { FhirResource } from '../base/types.ts';
import type { ResourceChange } from '../store/resources.ts';
import { SEARCH_PARAMS } from '../store/search-params.ts';
import { queryValues } from '../store/search.ts';
import type { TopicTrigger } from './definitions.ts';

export interface Criterion {
  /** Restricts the criterion to one resource type (filter forms `Type?p=v` and `Type.p=v`). */
  resourceType: string | null;
  param: string;
  modifier: 'not' | null;
  value: string;
}

/** Percent-decoded name and value; null when either is malformed (`%E0%A4%A`): a 400, never a crash. */
function decodePair(name: string, value: string): [string, string] | null {
  try {
    return [decodeURIComponent(name), decodeURIComponent(value)];
  } catch {
    return null;
  }
}

/** Parse `p=v&q=w`, `Type?p=v&q=w` or `Type.p=v` into criteria; null entries are malformed. */
export function parseCriteria(text: string): (Criterion | null)[] {
  let resourceType: string | null = null;
  let rest = text.trim();
  const q = rest.indexOf('?');
  if (q >= 0) {
    resourceType = rest.slice(0, q);
    rest = rest.slice(q + 1);
  }
  return rest.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    const decoded = decodePair(pair.slice(0, eq), pair.slice(eq + 1));
    if (!decoded) return null;
    let name = decoded[0];
    const value = decoded[1];
    let type = resourceType;
    const dot = name.indexOf('.');
    if (dot > 0 && /^[A-Z]/.test(name)) {
      type = name.slice(0, dot);
      name = name.slice(dot + 1);
    }
    const [param, modifier] = name.split(':', 2) as [string, string | undefined];
    if (modifier !== undefined && modifier !== 'not') return null;
    if (value.length === 0 || (type !== null && !/^[A-Z][A-Za-z]+$/.test(type))) return null;
    return { resourceType: type, param, modifier: modifier === 'not' ? 'not' : null, value };
  });
}

/** Whether one resource satisfies one criterion; criteria for other resource types do not apply. */
export function matchesCriterion(resource: FhirResource, criterion: Criterion): boolean {
  if (criterion.resourceType && criterion.resourceType !== resource.resourceType) return true;
  const def = SEARCH_PARAMS[resource.resourceType]?.[criterion.param];
  if (!def) return false;
  const have = new Set(def.extract(resource));
  const hit = queryValues(def, criterion.value).some((value) => have.has(value));
  return criterion.modifier === 'not' ? !hit : hit;
}

function matchesQuery(resource: FhirResource, query: string): boolean {
  return parseCriteria(query).every((c) => c !== null && matchesCriterion(resource, c));
}

type Compiled = (resource: unknown, env: Record<string, unknown>) => unknown[];
const compiled = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let fn = compiled.get(expression);
  if (!fn) {
    fn = fhirpath.compile(expression, r4model) as unknown as Compiled;
    compiled.set(expression, fn);
  }
  return fn;
}

/** FHIRPath truthiness: a single `true`. fhirpath may annotate its input, so it gets copies. */
function fhirPathHolds(expression: string, change: ResourceChange): boolean {
  const clone = (r: FhirResource | null): unknown => (r ? structuredClone(r) : null);
  const current = clone(change.current);
  const result = compile(expression)(current ?? {}, { current, previous: clone(change.previous) });
  return result.length === 1 && result[0] === true;
}

export function triggerFires(trigger: TopicTrigger, change: ResourceChange): boolean {
  if (trigger.resource !== change.type || !trigger.supportedInteraction.includes(change.interaction))
    return false;
  const qc = trigger.queryCriteria;
  if (qc) {
    let previous: boolean;
    let current: boolean;
    if (change.interaction === 'create' || !change.previous) previous = qc.resultForCreate === 'test-passes';
    else previous = qc.previous ? matchesQuery(change.previous, qc.previous) : true;
    if (change.interaction === 'delete' || !change.current) current = qc.resultForDelete === 'test-passes';
    else current = qc.current ? matchesQuery(change.current, qc.current) : true;
    const passes = qc.requireBoth ? previous && current : previous || current;
    if (!passes) return false;
  }
  if (trigger.fhirPathCriteria) return fhirPathHolds(trigger.fhirPathCriteria, change);
  return true;
}
