// Subscription operations of the Backport IG: $status (type and instance), $events (instance, from the
// same log as SSE replay) and $get-ws-binding-token (type and instance; the token also opens SSE).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isResource, records } from '../../shared/fhir-json.ts';
import type { AccessGrant } from '../base/grant.ts';
import { requireScope } from '../base/authz.ts';
import { eventVisible, notificationContext } from '../channels/delivery.ts';
import type { ServerContext } from '../context.ts';
import { authenticate, FHIR_JSON, queryPairs } from '../base/http.ts';
import { badRequest, notFound } from '../base/outcome.ts';
import type { SubscriptionEntry } from '../subscriptions/engine.ts';
import { notificationBundle, statusParameters } from '../subscriptions/notification.ts';
import type { PayloadContent } from '../subscriptions/parse.ts';

const MAX_EVENTS_PER_CALL = 1000;

/** Operation inputs from the query string and, for POST, a Parameters body. */
function operationParams(request: FastifyRequest): [string, string][] {
  const pairs = queryPairs(request);
  const body = request.body;
  if (!isResource(body, 'Parameters')) return pairs;
  for (const p of records(body['parameter'])) {
    const name = p['name'];
    if (typeof name !== 'string') continue;
    const value =
      p['valueString'] ?? p['valueCode'] ?? p['valueId'] ?? p['valueInteger'] ?? p['valueUnsignedInt'];
    if (typeof value === 'string' || typeof value === 'number') pairs.push([name, String(value)]);
  }
  return pairs;
}

function owned(ctx: ServerContext, grant: AccessGrant, id: string): SubscriptionEntry {
  const entry = ctx.engine.get(id);
  if (!entry || entry.owner !== grant.subject) throw notFound(`Subscription/${id} is not known`);
  return entry;
}

function statusEntry(ctx: ServerContext, entry: SubscriptionEntry): Record<string, unknown> {
  const nctx = notificationContext(ctx, entry, ctx.engine.eventCount(entry.config.id));
  return {
    fullUrl: `urn:uuid:${crypto.randomUUID()}`,
    resource: statusParameters(nctx, 'query-status', [], entry.config.payload),
    search: { mode: 'match' },
  };
}

function parseNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`);
  return Number(raw);
}

export function registerSubscriptionOperations(app: FastifyInstance, ctx: ServerContext): void {
  const auth = (request: FastifyRequest): AccessGrant => {
    const grant = authenticate(request, ctx.verifier);
    requireScope(grant, 'Subscription', 'r');
    return grant;
  };
  const searchset = (entries: Record<string, unknown>[]) => ({
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: new Date().toISOString(),
    total: entries.length,
    entry: entries,
  });

  const typeStatus = async (request: FastifyRequest) => {
    const grant = auth(request);
    const params = operationParams(request);
    const ids = params.filter(([k]) => k === 'id').flatMap(([, v]) => v.split(','));
    const statuses = params.filter(([k]) => k === 'status').flatMap(([, v]) => v.split(','));
    const entries = ctx.engine
      .all()
      .filter((e) => e.owner === grant.subject)
      .filter((e) => ids.length === 0 || ids.includes(e.config.id))
      .filter((e) => statuses.length === 0 || statuses.includes(e.config.status));
    return searchset(entries.map((e) => statusEntry(ctx, e)));
  };
  app.get('/fhir/Subscription/$status', async (request, reply) =>
    reply.type(FHIR_JSON).send(await typeStatus(request)),
  );
  app.post('/fhir/Subscription/$status', async (request, reply) =>
    reply.type(FHIR_JSON).send(await typeStatus(request)),
  );

  const instanceStatus = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const grant = auth(request);
    return searchset([statusEntry(ctx, owned(ctx, grant, request.params.id))]);
  };
  app.get<{ Params: { id: string } }>('/fhir/Subscription/:id/$status', async (request, reply) =>
    reply.type(FHIR_JSON).send(await instanceStatus(request)),
  );
  app.post<{ Params: { id: string } }>('/fhir/Subscription/:id/$status', async (request, reply) =>
    reply.type(FHIR_JSON).send(await instanceStatus(request)),
  );

  const events = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const grant = auth(request);
    const entry = owned(ctx, grant, request.params.id);
    const params = new Map(operationParams(request).map(([k, v]) => [k.toLowerCase().replace(/-/g, ''), v]));
    const count = ctx.engine.eventCount(entry.config.id);
    const since = parseNumber('eventsSinceNumber', params.get('eventssincenumber')) ?? 1;
    const until = Math.min(parseNumber('eventsUntilNumber', params.get('eventsuntilnumber')) ?? count, count);
    const content = params.get('content');
    if (
      content !== undefined &&
      content !== 'empty' &&
      content !== 'id-only' &&
      content !== 'full-resource'
    ) {
      throw badRequest('content must be empty, id-only or full-resource');
    }
    const upper = Math.min(until, since - 1 + MAX_EVENTS_PER_CALL);
    const records = ctx.engine
      .readEvents(entry.config.id, Math.max(0, since - 1), upper)
      .filter((event) => eventVisible(ctx, grant, event));
    const nctx = notificationContext(ctx, entry, count);
    return notificationBundle(
      nctx,
      'query-event',
      records,
      (content as PayloadContent | undefined) ?? entry.config.payload,
    );
  };
  app.get<{ Params: { id: string } }>('/fhir/Subscription/:id/$events', async (request, reply) =>
    reply.type(FHIR_JSON).send(await events(request)),
  );
  app.post<{ Params: { id: string } }>('/fhir/Subscription/:id/$events', async (request, reply) =>
    reply.type(FHIR_JSON).send(await events(request)),
  );

  const bindingToken = (grant: AccessGrant, ids: string[]) => {
    const { token, expiresAt } = ctx.bindingTokens.issue(grant, ids, Date.now());
    return {
      resourceType: 'Parameters',
      parameter: [
        { name: 'token', valueString: token },
        { name: 'expiration', valueDateTime: new Date(expiresAt).toISOString() },
        ...ids.map((id) => ({ name: 'subscription', valueString: id })),
        { name: 'websocket-url', valueUrl: `${ctx.origin.replace(/^http/, 'ws')}/ws/subscriptions` },
      ],
    };
  };
  const instanceToken = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const grant = auth(request);
    owned(ctx, grant, request.params.id);
    return bindingToken(grant, [request.params.id]);
  };
  const typeToken = async (request: FastifyRequest) => {
    const grant = auth(request);
    const ids = operationParams(request)
      .filter(([k]) => k === 'id')
      .flatMap(([, v]) => v.split(','));
    if (ids.length === 0) {
      // The R5 text allows "all subscriptions available to the caller with a websocket channel".
      ids.push(
        ...ctx.engine
          .all()
          .filter((e) => e.owner === grant.subject && e.config.channel === 'websocket')
          .map((e) => e.config.id),
      );
      if (ids.length === 0) throw badRequest('No websocket subscriptions to bind; pass id');
    }
    for (const id of ids) owned(ctx, grant, id);
    return bindingToken(grant, ids);
  };
  app.get<{ Params: { id: string } }>(
    '/fhir/Subscription/:id/$get-ws-binding-token',
    async (request, reply) => reply.type(FHIR_JSON).send(await instanceToken(request)),
  );
  app.post<{ Params: { id: string } }>(
    '/fhir/Subscription/:id/$get-ws-binding-token',
    async (request, reply) => reply.type(FHIR_JSON).send(await instanceToken(request)),
  );
  app.get('/fhir/Subscription/$get-ws-binding-token', async (request, reply) =>
    reply.type(FHIR_JSON).send(await typeToken(request)),
  );
  app.post('/fhir/Subscription/$get-ws-binding-token', async (request, reply) =>
    reply.type(FHIR_JSON).send(await typeToken(request)),
  );
}
