// FHIR REST interactions: create, read, vread, update, delete, history and search for every supported
// type. Subscriptions are delegated to subscription-rest.ts (ownership, validation, endpoint);
// topics (Basic) are read-only because the server defines them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireScope } from '../base/authz.ts';
import type { AccessGrant } from '../base/grant.ts';
import { authenticate, FHIR_JSON, queryPairs } from '../base/http.ts';
import { badRequest, FhirError, notFound } from '../base/outcome.ts';
import type { StoredResource } from '../base/types.ts';
import { isResourceType } from '../base/types.ts';
import { validateResource } from '../base/validate.ts';
import type { ServerContext } from '../context.ts';
import type { WritePrecondition } from '../store/resources.ts';
import { search } from '../store/search.ts';
import { includedResources, includeParams } from '../store/search-include.ts';
import {
  createSubscription,
  deleteSubscription,
  ownedSubscriptionIds,
  readOwnedSubscription,
  updateSubscription,
} from './subscription-rest.ts';
import { readableCurrent, readableHistory, readableVersion } from './visibility.ts';
import { createResource, deleteResource, requireUpdateOrCreate, updateResource } from './writes.ts';

interface TypeParams {
  type: string;
}
interface InstanceParams extends TypeParams {
  id: string;
}
interface VersionParams extends InstanceParams {
  vid: string;
}

function resourceType(type: string): string {
  if (!isResourceType(type)) throw notFound(`Resource type '${type}' is not supported`);
  return type;
}

export function sendResource(reply: FastifyReply, resource: StoredResource, status = 200): FastifyReply {
  return reply
    .code(status)
    .type(FHIR_JSON)
    .header('etag', `W/"${resource.meta.versionId}"`)
    .header('last-modified', new Date(resource.meta.lastUpdated).toUTCString())
    .send(resource);
}

/**
 * The write precondition of a PUT: `If-Match: W/"3"` (that version must be current) or
 * `If-None-Match: *` (create only: 412 when the resource exists), never both.
 */
function parsePrecondition(request: FastifyRequest): WritePrecondition | undefined {
  const noneMatch = request.headers['if-none-match'];
  if (noneMatch !== undefined) {
    if (String(noneMatch).trim() !== '*') throw badRequest('If-None-Match on an update must be *');
    if (request.headers['if-match'] !== undefined)
      throw badRequest('If-Match and If-None-Match cannot be combined');
    return 'absent';
  }
  return parseIfMatch(request);
}

function parseIfMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"(\d+)"$/.exec(String(header).trim());
  if (!match) throw badRequest('If-Match must be an ETag like W/"3"');
  return Number(match[1]);
}

/** A resource the caller may read, or 404 — existence of others' data is not revealed. */
function readVisible(ctx: ServerContext, grant: AccessGrant, type: string, id: string): StoredResource {
  if (type === 'Subscription') return readOwnedSubscription(ctx, grant, id);
  return readableCurrent(ctx, grant, type, id);
}

function rejectTopicWrites(type: string): void {
  if (type === 'Basic')
    throw new FhirError(405, 'not-supported', 'Topics (Basic) are defined by the server and read-only');
}

export function registerFhirRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const base = '/fhir';
  const auth = (request: FastifyRequest): AccessGrant => authenticate(request, ctx.verifier);

  app.get<{ Params: TypeParams }>(`${base}/:type`, async (request, reply) => {
    const type = resourceType(request.params.type);
    const grant = auth(request);
    const access = requireScope(grant, type, 's');
    const params = queryPairs(request);
    const includes = includeParams(type, params);
    const result = search(ctx.store.db, {
      type,
      params,
      labels: grant.securityLabels,
      access,
      ...(type === 'Subscription' ? { onlyIds: ownedSubscriptionIds(ctx, grant) } : {}),
    });
    const self = `${ctx.fhirBase}/${type}${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}`;
    const link = [{ relation: 'self', url: self }];
    if (result.offset + result.resources.length < result.total) {
      const next = new URLSearchParams(params.filter(([k]) => k !== '_offset'));
      next.set('_offset', String(result.offset + result.count));
      link.push({ relation: 'next', url: `${ctx.fhirBase}/${type}?${next.toString()}` });
    }
    return reply.type(FHIR_JSON).send({
      resourceType: 'Bundle',
      type: 'searchset',
      total: result.total,
      link,
      entry: [
        ...result.resources.map((resource) => ({
          fullUrl: `${ctx.fhirBase}/${type}/${resource.id}`,
          resource,
          search: { mode: 'match' },
        })),
        ...includedResources(result.resources, includes, grant, (t, id) => ctx.store.find(t, id)).map(
          (resource) => ({
            fullUrl: `${ctx.fhirBase}/${resource.resourceType}/${resource.id}`,
            resource,
            search: { mode: 'include' },
          }),
        ),
      ],
    });
  });

  app.post<{ Params: TypeParams }>(`${base}/:type`, async (request, reply) => {
    const type = resourceType(request.params.type);
    const grant = auth(request);
    const access = requireScope(grant, type, 'c');
    rejectTopicWrites(type);
    const body = validateResource(type, request.body);
    if (type === 'Subscription') return created(reply, createSubscription(ctx, grant, body));
    return created(reply, createResource(ctx, grant, access, body));
  });

  const created = (reply: FastifyReply, resource: StoredResource): FastifyReply =>
    sendResource(
      reply.header(
        'location',
        `${ctx.fhirBase}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`,
      ),
      resource,
      201,
    );

  app.get<{ Params: InstanceParams }>(`${base}/:type/:id`, async (request, reply) => {
    const type = resourceType(request.params.type);
    const grant = auth(request);
    requireScope(grant, type, 'r');
    return sendResource(reply, readVisible(ctx, grant, type, request.params.id));
  });

  app.put<{ Params: InstanceParams }>(`${base}/:type/:id`, async (request, reply) => {
    const type = resourceType(request.params.type);
    const { id } = request.params;
    const grant = auth(request);
    requireUpdateOrCreate(grant, type);
    rejectTopicWrites(type);
    const body = validateResource(type, request.body, id);
    if (type === 'Subscription') {
      const ifMatch = parseIfMatch(request);
      const { resource, created: isNew } = updateSubscription(ctx, grant, { ...body, id }, ifMatch);
      return isNew ? created(reply, resource) : sendResource(reply, resource);
    }
    const result = updateResource(ctx, grant, { ...body, id }, parsePrecondition(request));
    return result.created ? created(reply, result.resource) : sendResource(reply, result.resource);
  });

  app.delete<{ Params: InstanceParams }>(`${base}/:type/:id`, async (request, reply) => {
    const type = resourceType(request.params.type);
    const { id } = request.params;
    const grant = auth(request);
    const access = requireScope(grant, type, 'd');
    rejectTopicWrites(type);
    if (type === 'Subscription') deleteSubscription(ctx, grant, id);
    else deleteResource(ctx, grant, access, type, id);
    return reply.code(204).send();
  });

  app.get<{ Params: InstanceParams }>(`${base}/:type/:id/_history`, async (request, reply) => {
    const type = resourceType(request.params.type);
    const { id } = request.params;
    const grant = auth(request);
    requireScope(grant, type, 'r');
    if (type === 'Subscription') readOwnedSubscription(ctx, grant, id, true);
    const history = readableHistory(ctx, grant, type, id);
    return reply.type(FHIR_JSON).send({
      resourceType: 'Bundle',
      type: 'history',
      total: history.length,
      entry: history.map((h) => ({
        fullUrl: `${ctx.fhirBase}/${type}/${id}`,
        ...(h.resource ? { resource: h.resource } : {}),
        request: {
          method: h.method === 'create' ? 'POST' : h.method === 'update' ? 'PUT' : 'DELETE',
          url: h.method === 'create' ? type : `${type}/${id}`,
        },
        response: {
          status: h.method === 'create' ? '201' : h.method === 'update' ? '200' : '204',
          etag: `W/"${h.versionId}"`,
          lastModified: h.lastUpdated,
        },
      })),
    });
  });

  app.get<{ Params: VersionParams }>(`${base}/:type/:id/_history/:vid`, async (request, reply) => {
    const type = resourceType(request.params.type);
    const { id, vid } = request.params;
    const grant = auth(request);
    requireScope(grant, type, 'r');
    if (!/^\d+$/.test(vid)) throw badRequest('Version id must be a positive integer');
    if (type === 'Subscription') readOwnedSubscription(ctx, grant, id, true);
    return sendResource(reply, readableVersion(ctx, grant, type, id, Number(vid)));
  });
}
