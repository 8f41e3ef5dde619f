// The fake Medplum's FHIR REST side, as observed: a CapabilityStatement with no topics and no
// Subscription operations, no SubscriptionTopic type, search-criteria Subscriptions only (a topic
// canonical is accepted and never fires), `meta.profile` on a Subscription refused (403: the profile
// lookup needs more than user scopes), websocket Subscriptions kept only in the cache (never found by
// a search), `$get-ws-binding-token` on GET only (POST 404; a subscription gone: 400 "Not found"),
// versionIds that are UUIDs, 410 for a deleted resource, `_lastUpdated` searches, `_tag` search; ids
// only UUIDs (PUT of any other: 400 "Invalid id", `If-None-Match` ignored), `updateCreate: false` and
// conditional create (`If-None-Exist`: 201 with a Location, or 200 with the one match) and conditional
// update (`PUT Type?identifier=…`) for the records the closed loop and the pharmacist write.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import type { SigningKey } from './auth.ts';
import { newVersionId, nextInstant, type Json, type PeerState, type PeerUser } from './state.ts';

export const WS_PATH = '/ws/subscriptions-r4';

export function outcome(code: string, text: string): Json {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

function capabilityStatement(): Json {
  const params = ['_id', '_lastUpdated', '_tag', 'criteria', 'status', 'type', 'url', 'payload'];
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    kind: 'instance',
    fhirVersion: '4.0.1',
    software: { name: 'medplum', version: '5.0.10-6a4145c' },
    rest: [
      {
        mode: 'server',
        resource: [
          {
            type: 'Subscription',
            interaction: ['read', 'vread', 'update', 'delete', 'create', 'search-type'].map((code) => ({
              code,
            })),
            searchParam: params.map((name) => ({ name, type: name === '_lastUpdated' ? 'date' : 'token' })),
          },
          { type: 'Observation', interaction: [{ code: 'read' }, { code: 'search-type' }] },
          // The closed loop's records, as Medplum declares every type: it updates but does not create by
          // PUT, and creates conditionally (observed in its /metadata).
          ...['Communication', 'Task', 'DetectedIssue'].map((type) => ({
            type,
            interaction: [
              'read',
              'vread',
              'update',
              'patch',
              'delete',
              'history-instance',
              'create',
              'search-type',
            ].map((code) => ({ code })),
            updateCreate: false,
            conditionalCreate: true,
            conditionalUpdate: true,
            searchParam: [{ name: 'identifier', type: 'token' }],
          })),
        ],
      },
    ],
  };
}

// ---- search ---------------------------------------------------------------------------------------

function tokens(value: unknown): string[] {
  const concepts = Array.isArray(value) ? value : [value];
  return concepts.flatMap((concept) => {
    const codings = (concept as { coding?: Array<{ system?: string; code?: string }> } | null)?.coding ?? [];
    return codings.flatMap((c) => (c.code ? [c.code, `${c.system ?? ''}|${c.code}`] : []));
  });
}

/** A token's system (null when no `|`) and code, split at the first unescaped `|` and unescaped. */
function splitToken(token: string): [string | null, string] {
  const at = token.search(/(?<!\\)\|/);
  const unescape = (text: string) => text.replace(/\\([\\|,$])/g, '$1');
  return at < 0 ? [null, unescape(token)] : [unescape(token.slice(0, at)), unescape(token.slice(at + 1))];
}

/** Whether a resource matches one search parameter (the few the tests and the client use). */
function matchesParam(resource: Json, name: string, value: string): boolean {
  const wanted = value.split(',');
  switch (name) {
    case 'code':
    case 'category':
      return tokens(resource[name]).some((t) => wanted.includes(t));
    case 'status':
      return wanted.includes(String(resource['status']));
    case '_id':
      return wanted.includes(String(resource['id']));
    case '_lastUpdated': {
      const at = Date.parse(String((resource['meta'] as Json | undefined)?.['lastUpdated'] ?? ''));
      const match = /^(gt|ge|lt|le|eq)?(.+)$/.exec(value);
      const bound = Date.parse(match?.[2] ?? '');
      const op = match?.[1] ?? 'eq';
      return op === 'gt'
        ? at > bound
        : op === 'ge'
          ? at >= bound
          : op === 'lt'
            ? at < bound
            : op === 'le'
              ? at <= bound
              : at === bound;
    }
    case 'identifier': {
      // One `system|value` token with FHIR's search escapes (`\|` inside the value).
      const [system, code] = splitToken(value);
      return ((resource['identifier'] as Array<{ system?: string; value?: string }> | undefined) ?? []).some(
        (i) => i.value === code && (system === null || (i.system ?? '') === system),
      );
    }
    case '_tag':
      return (
        ((resource['meta'] as Json | undefined)?.['tag'] as Array<{ system?: string; code?: string }>) ?? []
      ).some((t) => `${t.system ?? ''}|${t.code ?? ''}` === value || t.code === value);
    default:
      return false;
  }
}

const RESULT_PARAMS = new Set(['_count', '_sort', '_total']);

/** Whether a resource matches a whole search (`Type?a=b&c=d`), as a Subscription's criteria does. */
export function matchesSearch(resource: Json, search: string): boolean {
  const [type, query = ''] = search.split('?');
  if (type !== resource['resourceType']) return false;
  return [...new URLSearchParams(query)].every(
    ([name, value]) => RESULT_PARAMS.has(name) || matchesParam(resource, name, value),
  );
}

function searchset(state: PeerState, type: string, query: URLSearchParams, found: Json[]): Json {
  const sorted = query.get('_sort') === '_lastUpdated' ? [...found].sort(byLastUpdated) : found;
  const count = Number(query.get('_count') ?? '20');
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'self', url: `${state.fhirBase}/${type}?${query.toString()}` }],
    entry: sorted.slice(0, count).map((resource) => ({
      fullUrl: `${state.fhirBase}/${type}/${String(resource['id'])}`,
      search: { mode: 'match' },
      resource,
    })),
  };
}

function byLastUpdated(a: Json, b: Json): number {
  const at = (r: Json) => Date.parse(String((r['meta'] as Json | undefined)?.['lastUpdated'] ?? ''));
  return at(a) - at(b);
}

// ---- resources ------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Store a create or an update as the lab's user would, with Medplum's meta. */
export function writeResource(
  state: PeerState,
  resource: Json,
  author: string,
  id: string = randomUUID(),
): Json {
  const type = String(resource['resourceType']);
  const stored: Json = {
    ...resource,
    id,
    meta: { versionId: newVersionId(), lastUpdated: nextInstant(state), author: { reference: author } },
  };
  state.resources.set(`${type}/${id}`, { current: stored, deleted: false });
  return stored;
}

/**
 * `PUT Type?search` as Medplum answers it (observed, and its fhir-router repo.ts conditionalUpdate): no
 * match creates with a new id (201; 400 if the body brings an id), one match is replaced (200; 400 if
 * the body's id is another), several are 412.
 */
function conditionalUpdate(
  state: PeerState,
  type: string,
  query: URLSearchParams,
  body: Json,
  user: PeerUser | null,
  res: ServerResponse,
  onWrite: (resource: Json, interaction: 'create' | 'update' | 'delete') => void,
): void {
  const matches = [...state.resources.values()]
    .filter((r) => !r.deleted && matchesSearch(r.current, `${type}?${query.toString()}`))
    .map((r) => r.current);
  if (matches.length > 1) return send(res, 412, outcome('multiple-matches', 'Multiple resources found'));
  const existing = matches[0];
  const bodyId = typeof body['id'] === 'string' ? body['id'] : null;
  if (!existing && bodyId)
    return send(res, 400, outcome('invalid', 'Cannot perform create as update with client-assigned ID'));
  if (existing && bodyId && bodyId !== existing['id'])
    return send(res, 400, outcome('invalid', 'Resource ID did not match resolved ID'));
  const written = writeResource(
    state,
    body,
    user?.profile ?? 'Practitioner/peer-test',
    existing ? String(existing['id']) : undefined,
  );
  onWrite(written, existing ? 'update' : 'create');
  return send(res, existing ? 200 : 201, written);
}

// ---- Subscription ---------------------------------------------------------------------------------

async function bindingToken(
  state: PeerState,
  key: SigningKey,
  id: string,
  res: ServerResponse,
): Promise<void> {
  if (!state.subscriptions.has(id)) {
    return send(res, 400, outcome('invalid', 'Error reading subscription: Not found'));
  }
  const expiration = new Date(Date.now() + 3600_000);
  const token = await new SignJWT({ subscription_id: id })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setExpirationTime(Math.floor(expiration.getTime() / 1000))
    .sign(key.privateKey);
  state.bindingTokens.set(token, id);
  send(res, 200, {
    resourceType: 'Parameters',
    parameter: [
      { name: 'token', valueString: token },
      { name: 'expiration', valueDateTime: expiration.toISOString() },
      { name: 'subscription', valueString: id },
      { name: 'websocket-url', valueUrl: `${state.origin.replace(/^http/, 'ws')}${WS_PATH}` },
    ],
  });
}

function createSubscription(state: PeerState, body: Json, user: PeerUser | null, res: ServerResponse): void {
  const profiles = (body['meta'] as Json | undefined)?.['profile'];
  if (Array.isArray(profiles) && profiles.length > 0) {
    // Medplum reads the StructureDefinition the profile names; a user's scopes do not allow that.
    return send(res, 403, outcome('forbidden', 'Forbidden'));
  }
  const id = randomUUID();
  const channel = (body['channel'] as Json | undefined) ?? {};
  const resource: Json = {
    ...body,
    id,
    meta: {
      ...((body['meta'] as Json | undefined) ?? {}),
      versionId: newVersionId(),
      lastUpdated: nextInstant(state),
      ...(user ? { author: { reference: user.profile } } : {}),
    },
  };
  // The status stays as sent; a rest-hook without an endpoint is stored and never delivers.
  state.subscriptions.set(id, { resource, cacheOnly: channel['type'] === 'websocket' });
  send(res, 201, resource);
}

function subscriptionRoute(
  state: PeerState,
  method: string,
  rest: string[],
  query: URLSearchParams,
  body: Json,
  user: PeerUser | null,
  res: ServerResponse,
): Promise<void> | void {
  const [id, operation] = rest;
  if (id === undefined) {
    if (method === 'POST') return createSubscription(state, body, user, res);
    const found = [...state.subscriptions.values()]
      .filter((s) => !s.cacheOnly)
      .map((s) => s.resource)
      .filter((r) =>
        [...query].every(([name, value]) =>
          RESULT_PARAMS.has(name)
            ? true
            : name === 'criteria'
              ? String(r['criteria']).startsWith(value)
              : matchesParam(r, name, value),
        ),
      );
    return send(res, 200, searchset(state, 'Subscription', query, found));
  }
  if (operation === '$get-ws-binding-token') {
    if (method !== 'GET') return send(res, 404, outcome('not-found', 'Not found'));
    return undefined; // answered by the caller, which holds the signing key
  }
  const sub = state.subscriptions.get(id);
  if (!sub) return send(res, 404, outcome('not-found', 'Not found'));
  if (method === 'GET') return send(res, 200, sub.resource);
  if (method === 'DELETE') {
    state.subscriptions.delete(id);
    return send(res, 200, outcome('informational', 'All OK'));
  }
  if (method === 'PUT') {
    sub.resource = {
      ...body,
      id,
      meta: { ...(sub.resource['meta'] as Json), lastUpdated: nextInstant(state) },
    };
    return send(res, 200, sub.resource);
  }
  return send(res, 405, outcome('not-supported', 'Method not allowed'));
}

/** Handles `/fhir/R4/...`; `onWrite` hears every create, update and delete (subscription evaluation). */
export async function handleFhir(
  state: PeerState,
  key: SigningKey,
  req: IncomingMessage,
  url: URL,
  bodyText: string,
  res: ServerResponse,
  onWrite: (resource: Json, interaction: 'create' | 'update' | 'delete') => void,
): Promise<void> {
  const basePath = new URL(state.fhirBase).pathname;
  const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
  if (!state.tokens.has(auth)) return send(res, 401, outcome('login', 'Unauthorized'));
  const user = state.tokens.get(auth) ?? null;
  const [type = '', ...rest] = url.pathname.slice(basePath.length + 1).split('/');
  const method = req.method ?? 'GET';
  const body = bodyText ? (JSON.parse(bodyText) as Json) : {};
  if (type === 'metadata') return send(res, 200, capabilityStatement());
  if (type === 'SubscriptionTopic') return send(res, 400, outcome('structure', 'Unknown resource type'));
  if (type === 'Subscription') {
    if (rest[1] === '$get-ws-binding-token' && method === 'GET')
      return bindingToken(state, key, rest[0] ?? '', res);
    return subscriptionRoute(state, method, rest, url.searchParams, body, user, res);
  }
  const [id] = rest;
  if (id === undefined) {
    if (method === 'POST') {
      // Conditional create: the one match is answered 200 as is, several 412, none creates (observed).
      const ifNoneExist = req.headers['if-none-exist'];
      if (typeof ifNoneExist === 'string') {
        const matches = [...state.resources.values()]
          .filter((r) => !r.deleted && matchesSearch(r.current, `${type}?${ifNoneExist}`))
          .map((r) => r.current);
        if (matches.length > 1) return send(res, 412, outcome('duplicate', 'Multiple resources found'));
        if (matches[0]) return send(res, 200, matches[0]);
      }
      const created = writeResource(state, body, user?.profile ?? 'Practitioner/peer-test');
      onWrite(created, 'create');
      res.setHeader('Location', `${state.fhirBase}/${type}/${String(created['id'])}`);
      return send(res, 201, created);
    }
    if (method === 'PUT') return conditionalUpdate(state, type, url.searchParams, body, user, res, onWrite);
    const found = [...state.resources.values()]
      .filter((r) => !r.deleted && r.current['resourceType'] === type)
      .map((r) => r.current)
      .filter((r) => matchesSearch(r, `${type}?${url.searchParams.toString()}`));
    return send(res, 200, searchset(state, type, url.searchParams, found));
  }
  const stored = state.resources.get(`${type}/${id}`);
  // Medplum assigns UUIDs and refuses any other id ("Invalid id", observed); it ignores If-None-Match.
  if (method === 'PUT' && !UUID.test(id)) return send(res, 400, outcome('invalid', 'Invalid id'));
  if (method === 'PUT') {
    const updated = writeResource(state, body, user?.profile ?? 'Practitioner/peer-test', id);
    onWrite(updated, stored ? 'update' : 'create');
    return send(res, stored ? 200 : 201, updated);
  }
  if (!stored) return send(res, 404, outcome('not-found', 'Not found'));
  if (stored.deleted) return send(res, 410, outcome('deleted', 'Gone'));
  if (method === 'DELETE') {
    stored.deleted = true;
    onWrite(stored.current, 'delete');
    return send(res, 200, outcome('informational', 'All OK'));
  }
  return send(res, 200, stored.current);
}
