// REST semantics specific to Subscription: a subscription belongs to the user who created it (others
// get 404, as if it did not exist), the server sets status and channel.endpoint, and re-activation is a
// PUT with status `requested` (docs/sse-channel.md §7).
import { randomUUID } from 'node:crypto';
import { isRecord } from '../../shared/fhir-json.ts';
import { scopeAccess } from '../base/authz.ts';
import type { AccessGrant } from '../base/grant.ts';
import type { ServerContext } from '../context.ts';
import { badRequest, forbidden, notFound } from '../base/outcome.ts';
import type { FhirResource, StoredResource } from '../base/types.ts';
import type { SubscriptionConfig } from '../subscriptions/parse.ts';
import { BACKPORT_PROFILE, parseSubscription } from '../subscriptions/parse.ts';
import { MIN_CLIENT_ID_LENGTH } from './writes.ts';

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

/**
 * A subscription delivers what its topic's focus resources are: the owner must be able to read that type
 * (granular conditions then filter each event, at logging and again at delivery).
 */
function requireTopicReadable(grant: AccessGrant, config: SubscriptionConfig): void {
  for (const trigger of config.topic.triggers) {
    if (scopeAccess(grant.scopes, trigger.resource, 'r').kind === 'none') {
      throw forbidden(
        `The token's scopes do not allow reading ${trigger.resource}, what this topic notifies about`,
      );
    }
  }
}

/** Server-controlled fields: status after the requested→active transition, endpoint, profile. */
function normalise(
  ctx: ServerContext,
  grant: AccessGrant,
  body: FhirResource,
  id: string,
): FhirResource & { id: string } {
  const config = parseSubscription(body, id);
  requireTopicReadable(grant, config);
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
  const stored = ctx.engine.save(normalise(ctx, grant, body, id), {
    owner: grant.subject,
    labels: grant.securityLabels,
    scopes: grant.scopes,
  });
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
  // Creating at a client-chosen id follows the rule of every other type (fhir/writes.ts).
  const mayCreate =
    scopeAccess(grant.scopes, 'Subscription', 'c').kind !== 'none' && body.id.length >= MIN_CLIENT_ID_LENGTH;
  if (owner === null && !mayCreate) throw notFound(`Subscription/${body.id} is not known`);
  const existed = ctx.engine.get(body.id) !== null;
  if (existed && scopeAccess(grant.scopes, 'Subscription', 'u').kind === 'none') {
    throw forbidden("The token's scopes do not allow 'u' on Subscription");
  }
  const resource = ctx.engine.save(
    normalise(ctx, grant, body, body.id),
    { owner: grant.subject, labels: grant.securityLabels, scopes: grant.scopes },
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
