// FHIR search over the SQLite index. Parameters are validated up front (unknown ones are a 400, as the
// issue demands, rather than silently ignored), and the caller's ward labels are applied in SQL so that
// `_count` pages and `total` never count resources the caller may not see.
import type { Db } from '../../lib/sqlite.ts';
import type { ScopeAccess } from '../base/authz.ts';
import { badRequest } from '../base/outcome.ts';
import type { StoredResource } from '../base/types.ts';
import { accessCondition } from './access.ts';
import type { SearchParamDef } from './search-params.ts';
import { normaliseDate, normaliseReferenceQuery, SEARCH_PARAMS } from './search-params.ts';

export interface SearchQuery {
  type: string;
  params: [string, string][];
  /** Ward labels the caller holds; null = no label restriction (internal callers only). */
  labels: readonly string[] | null;
  /** Extra restriction for owned resources (Subscription): only ids in this list. */
  onlyIds?: readonly string[];
  /** The caller's granular scope access for searching this type; absent = unrestricted (internal callers). */
  access?: ScopeAccess;
}

export interface SearchResult {
  total: number;
  resources: StoredResource[];
  count: number;
  offset: number;
}

const RESULT_PARAMS = new Set(['_count', '_sort', '_offset', '_format', '_total', '_include']);
const DEFAULT_COUNT = 50;
const MAX_COUNT = 1000;
/** Paging integers: up to 15 digits stay exact in a double and fit SQLite's 64-bit INTEGER. */
const PAGING_INTEGER = /^\d{1,15}$/;

const DATE_PREFIXES: Record<string, string> = {
  eq: '',
  gt: '>',
  lt: '<',
  ge: '>=',
  le: '<=',
  sa: '>',
  eb: '<',
};

function dateCondition(column: string, raw: string, args: unknown[]): string {
  const match = /^(eq|ne|gt|lt|ge|le|sa|eb)?(\d{4}(-\d{2}(-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?)$/.exec(
    raw,
  );
  if (!match || !match[2]) throw badRequest(`Invalid date search value '${raw}'`);
  const prefix = match[1] ?? 'eq';
  const value = normaliseDate(match[2]);
  if (prefix === 'eq') {
    args.push(`${value}%`);
    return `${column} LIKE ?`;
  }
  if (prefix === 'ne') {
    args.push(`${value}%`);
    return `${column} NOT LIKE ?`;
  }
  // Greater-than on a partial date means after the whole period it names.
  const op = DATE_PREFIXES[prefix] ?? '=';
  args.push(op.startsWith('>') && value.length < 24 ? `${value}\uffff` : value);
  return `${column} ${op} ?`;
}

function splitModifier(name: string): [string, string | null] {
  const idx = name.indexOf(':');
  return idx < 0 ? [name, null] : [name.slice(0, idx), name.slice(idx + 1)];
}

/** Values a query value must equal in the index for a token/reference parameter. */
export function queryValues(def: SearchParamDef, raw: string): string[] {
  return raw
    .split(',')
    .filter((v) => v.length > 0)
    .map((v) => (def.kind === 'reference' ? normaliseReferenceQuery(def, v) : v));
}

export function validateSearchParams(type: string, params: [string, string][]): void {
  const defs = SEARCH_PARAMS[type] ?? {};
  for (const [rawName, value] of params) {
    const [name, modifier] = splitModifier(rawName);
    if (RESULT_PARAMS.has(name)) continue;
    if (name === '_id' || name === '_lastUpdated') {
      if (modifier) throw badRequest(`Modifier ':${modifier}' is not supported on ${name}`);
      continue;
    }
    const def = defs[name];
    if (!def) throw badRequest(`Unknown search parameter '${name}' for ${type}`);
    if (modifier && !(modifier === 'not' && def.kind === 'token')) {
      throw badRequest(`Modifier ':${modifier}' is not supported on ${name}`);
    }
    if (value.length === 0) throw badRequest(`Empty value for search parameter '${name}'`);
  }
}

function parseCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_COUNT;
  if (!PAGING_INTEGER.test(raw))
    throw badRequest('_count must be a non-negative integer (at most 15 digits)');
  return Math.min(Number(raw), MAX_COUNT);
}

export function search(db: Db, query: SearchQuery): SearchResult {
  const { type, params } = query;
  validateSearchParams(type, params);
  const defs = SEARCH_PARAMS[type] ?? {};
  const where: string[] = ['r.type = ?', 'r.deleted = 0'];
  const args: unknown[] = [type];
  let count = DEFAULT_COUNT;
  let offset = 0;
  let order = 'r.last_updated ASC, r.id ASC';
  let byIdList = false;
  for (const [rawName, value] of params) {
    const [name, modifier] = splitModifier(rawName);
    if (name === '_count') count = parseCount(value);
    else if (name === '_offset') {
      if (!PAGING_INTEGER.test(value)) {
        throw badRequest('_offset must be a non-negative integer (at most 15 digits)');
      }
      offset = Number(value);
    } else if (name === '_sort') order = sortClause(type, value);
    else if (name === '_format' || name === '_total' || name === '_include') continue;
    else if (name === '_id') {
      const ids = value.split(',');
      where.push(`r.id IN (${ids.map(() => '?').join(',')})`);
      args.push(...ids);
      byIdList = true;
    } else if (name === '_lastUpdated') where.push(dateCondition('r.last_updated', value, args));
    else {
      const def = defs[name];
      if (!def) throw badRequest(`Unknown search parameter '${name}' for ${type}`);
      if (def.kind === 'date') {
        const inner: unknown[] = [];
        const cond = dateCondition('s.value', value, inner);
        where.push(
          `EXISTS (SELECT 1 FROM search_index s WHERE s.type = r.type AND s.id = r.id AND s.param = ? AND ${cond})`,
        );
        args.push(name, ...inner);
      } else {
        const values = queryValues(def, value);
        const sub = `SELECT 1 FROM search_index s WHERE s.type = r.type AND s.id = r.id AND s.param = ?
          AND s.value IN (${values.map(() => '?').join(',')})`;
        where.push(modifier === 'not' ? `NOT EXISTS (${sub})` : `EXISTS (${sub})`);
        args.push(name, ...values);
      }
    }
  }
  if (query.labels) where.push(wardLabelCondition(query.labels, args));
  if (query.access) {
    const condition = accessCondition(type, query.access, args);
    if (condition) where.push(condition);
  }
  if (query.onlyIds) {
    where.push(`r.id IN (${query.onlyIds.map(() => '?').join(',') || "''"})`);
    args.push(...query.onlyIds);
  }
  // An id list is found by the primary key and its few rows sorted; ordered by the last_updated index
  // instead (SQLite's choice for long lists), every resource of the type would be walked: `+` keeps
  // the order but takes the index out of the planner's hands.
  if (byIdList && order.startsWith('r.last_updated')) order = `+${order}`;
  const clause = where.join(' AND ');
  const rows = db
    .prepare(`SELECT r.body FROM resource_current r WHERE ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(...args, count, offset) as { body: string }[];
  const total =
    knownTotal(rows.length, count, offset) ??
    (db.prepare(`SELECT COUNT(*) AS n FROM resource_current r WHERE ${clause}`).get(...args) as { n: number })
      .n;
  return { total, resources: rows.map((row) => JSON.parse(row.body) as StoredResource), count, offset };
}

/**
 * The total when the page itself tells it: a page that came back short of `_count` (and is not past
 * the end) is the last one, so everything before it plus its rows is all there is. The second query
 * (the COUNT, which repeats every condition) is then not run: half the SQL of a claim-check batch read
 * (`_id` list of 100 with `_count=100`), which always fits one page.
 */
function knownTotal(returned: number, count: number, offset: number): number | null {
  if (returned < count && (returned > 0 || offset === 0)) return offset + returned;
  return null;
}

/**
 * Visible only when every ward label of the resource is among the caller's labels. The check is per
 * resource, so it looks the resource's own index rows up (`search_index_resource`: type, id, param,
 * value, so the index alone answers and no table row is read). Left to
 * itself SQLite picks `search_index_lookup` (type, param) and scans every `_ward` row of the type for
 * each candidate: with 100,000 Observations a search of 100 ids took seconds instead of milliseconds.
 */
export function wardLabelCondition(labels: readonly string[], args: unknown[]): string {
  args.push(...labels);
  return `NOT EXISTS (SELECT 1 FROM search_index s INDEXED BY search_index_resource
    WHERE s.type = r.type AND s.id = r.id AND s.param = '_ward'
    ${labels.length ? `AND s.value NOT IN (${labels.map(() => '?').join(',')})` : ''})`;
}

function sortClause(type: string, raw: string): string {
  const parts = raw.split(',').map((key) => {
    const desc = key.startsWith('-');
    const name = desc ? key.slice(1) : key;
    const dir = desc ? 'DESC' : 'ASC';
    if (name === '_lastUpdated') return `r.last_updated ${dir}`;
    if (name === '_id') return `r.id ${dir}`;
    const def = SEARCH_PARAMS[type]?.[name];
    if (!def || !/^[a-z-]+$/.test(name)) throw badRequest(`Cannot sort ${type} by '${name}'`);
    return `(SELECT ${desc ? 'MAX' : 'MIN'}(s.value) FROM search_index s WHERE s.type = r.type AND s.id = r.id
      AND s.param = '${name}') ${dir}`;
  });
  return [...parts, 'r.id ASC'].join(', ');
}
