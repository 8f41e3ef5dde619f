// REST semantics specific to Subscription: a subscription belongs to the user who created it (others
// get 404, as if it did not exist), the server sets status and channel.endpoint, and re-activation is a
// PUT with status `requested` (docs/sse-channel.md §7).
import { randomUUID } from 'node:crypto';
import { isRecord } from '../../shared/fhir-json.ts';
import type { AccessGrant } from '../base/grant.ts';
import type { ServerContext } from '../context.ts';
import { badRequest, notFound } from '../base/outcome.ts';
import type { FhirResource, StoredResource } from '../base/types.ts';
import { BACKPORT_PROFILE, parseSubscription } from '../subscriptions/parse.ts';

export function ownedSubscriptionIds(ctx: ServerContext, grant: AccessGrant): string[] {
  return ctx.engine
    .all()
    .filter((entry) => entry.owner === grant.subject)
    .map((entry) => entry.config.id);
}

export function readOwnedSubscription(
  ctx: ServerContext,
  grant: AccessGrant,
  id: string,
  includeDeleted = false,
): StoredResource {
  const owner = includeDeleted ? ctx.engine.ownerOf(id) : ctx.engine.get(id)?.owner;
  if (owner !== grant.subject) throw notFound(`Subscription/${id} is not known`);
  if (includeDeleted)
    return ctx.store.find('Subscription', id) ?? ({ resourceType: 'Subscription', id } as StoredResource);
  return ctx.store.read('Subscription', id);
}

/** Server-controlled fields: status after the requested→active transition, endpoint, profile. */
function normalise(ctx: ServerContext, body: FhirResource, id: string): FhirResource & { id: string } {
  const config = parseSubscription(body, id);
  const status = config.status === 'requested' ? 'active' : config.status;
  const channel = isRecord(body.channel) ? { ...body.channel } : {};
  if (config.channel === 'sse') channel.endpoint = `${ctx.fhirBase}/Subscription/${id}/$sse`;
  else delete channel.endpoint;
  const profiles = body.meta?.profile ?? [];
  return {
    ...body,
    id,
    status,
    channel,
    meta: {
      ...(body.meta ?? {}),
      profile: profiles.includes(BACKPORT_PROFILE) ? profiles : [...profiles, BACKPORT_PROFILE],
    },
  };
}

export function createSubscription(
  ctx: ServerContext,
  grant: AccessGrant,
  body: FhirResource,
): StoredResource {
  if (body.status !== 'requested' && body.status !== 'active' && body.status !== 'off') {
    throw badRequest('A new Subscription must have status requested (or active/off)');
  }
  const id = randomUUID();
  const stored = ctx.engine.save(normalise(ctx, body, id), grant.subject, grant.securityLabels);
  ctx.logger?.info(
    { subscriptionId: id, topic: body.criteria, status: stored.status },
    'subscription created',
  );
  return stored;
}

export function updateSubscription(
  ctx: ServerContext,
  grant: AccessGrant,
  body: FhirResource & { id: string },
  ifMatch: number | undefined,
): { resource: StoredResource; created: boolean } {
  const owner = ctx.engine.ownerOf(body.id);
  if (owner !== null && owner !== grant.subject) throw notFound(`Subscription/${body.id} is not known`);
  const existed = ctx.engine.get(body.id) !== null;
  const resource = ctx.engine.save(
    normalise(ctx, body, body.id),
    grant.subject,
    grant.securityLabels,
    ifMatch,
  );
  ctx.logger?.info({ subscriptionId: body.id, status: resource.status }, 'subscription updated');
  return { resource, created: !existed };
}

export function deleteSubscription(ctx: ServerContext, grant: AccessGrant, id: string): void {
  const entry = ctx.engine.get(id);
  if (!entry || entry.owner !== grant.subject) throw notFound(`Subscription/${id} is not known`);
  ctx.engine.remove(id);
}
