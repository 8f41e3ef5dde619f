// What SSE and websocket share: resolving who is connecting (bearer or binding token), the checks of
// docs/sse-channel.md §2, and building the notification for one event as the caller may see it.
import type { FastifyRequest } from 'fastify';
import { field } from '../../shared/fhir-json.ts';
import type { AccessGrant } from '../base/grant.ts';
import { labelsAllow, requireScope, scopeAccess } from '../base/authz.ts';
import type { ServerContext } from '../context.ts';
import { authenticate } from '../base/http.ts';
import { FhirError, notFound, unauthorized } from '../base/outcome.ts';
import { accessAllows } from '../store/access.ts';
import type { EventRecord, SubscriptionEntry } from '../subscriptions/engine.ts';
import type { NotificationContext, NotificationType } from '../subscriptions/notification.ts';
import { notificationBundle } from '../subscriptions/notification.ts';
import type { StoredResource } from '../base/types.ts';
import type { StreamRegistry } from './registry.ts';

export function channelGrant(
  ctx: ServerContext,
  request: FastifyRequest,
  subscriptionId: string,
): AccessGrant {
  const binding = field(request.query, 'binding-token');
  if (typeof binding === 'string') {
    const entry = ctx.bindingTokens.take(binding, Date.now());
    if (!entry || !entry.subscriptionIds.includes(subscriptionId)) {
      throw unauthorized('The binding token is invalid, expired, already used or for another subscription');
    }
    return entry.grant;
  }
  return authenticate(request, ctx.verifier);
}

/** The subscription a grant may stream: owned (else 404) and live (else 409). */
export function streamableSubscription(
  ctx: ServerContext,
  grant: AccessGrant,
  id: string,
): SubscriptionEntry {
  requireScope(grant, 'Subscription', 'r');
  const entry = ctx.engine.get(id);
  if (!entry || entry.owner !== grant.subject) throw notFound(`Subscription/${id} is not known`);
  if (!ctx.engine.isLive(entry, Date.now())) {
    throw new FhirError(
      409,
      'conflict',
      `Subscription/${id} is ${entry.config.status === 'active' ? 'past its end' : entry.config.status}`,
    );
  }
  return entry;
}

export function notificationContext(
  ctx: ServerContext,
  entry: SubscriptionEntry,
  eventCount: number,
): NotificationContext {
  return {
    fhirBase: ctx.fhirBase,
    entry,
    status: entry.config.status,
    eventCount,
    loadFocus: (event) => notificationFocus(ctx, event),
  };
}

/**
 * Whether this grant may receive the event: its focus within the grant's wards and, under a granular
 * scope, the focus version matching the scope's conditions (read back from the store only then).
 */
export function eventVisible(ctx: ServerContext, grant: AccessGrant, event: EventRecord): boolean {
  if (!labelsAllow(grant.securityLabels, event.labels)) return false;
  const access = scopeAccess(grant.scopes, event.focusType, 'r');
  if (access.kind !== 'some') return access.kind === 'all';
  const focus = notificationFocus(ctx, event);
  return focus !== null && accessAllows(access, focus);
}

function notificationFocus(ctx: ServerContext, event: EventRecord): StoredResource | null {
  try {
    return ctx.store.vread(event.focusType, event.focusId, event.focusVersion);
  } catch {
    return null;
  }
}

/** The bundle for one event, or null when the event is not this connection's to see (eventVisible). */
export function eventBundle(
  ctx: ServerContext,
  entry: SubscriptionEntry,
  grant: AccessGrant,
  event: EventRecord,
): Record<string, unknown> | null {
  if (!eventVisible(ctx, grant, event)) return null;
  return notificationBundle(notificationContext(ctx, entry, event.eventNumber), 'event-notification', [
    event,
  ]);
}

/**
 * Refuses a new stream (SSE, or a websocket binding) when the grant already holds `maxStreamsPerGrant`
 * open ones: 429 with Retry-After, so one token cannot pin the server's connections.
 */
export function requireStreamCapacity(
  ctx: ServerContext,
  registry: StreamRegistry,
  grant: AccessGrant,
): void {
  if (registry.count(grant.grantId) >= ctx.limits.maxStreamsPerGrant) {
    throw new FhirError(
      429,
      'throttled',
      `This authorization already holds ${ctx.limits.maxStreamsPerGrant} open streams; close one first`,
      { 'retry-after': String(ctx.limits.retryAfterSeconds) },
    );
  }
}

export function statusBundle(
  ctx: ServerContext,
  entry: SubscriptionEntry,
  type: NotificationType,
): Record<string, unknown> {
  const current = ctx.engine.get(entry.config.id) ?? entry;
  return notificationBundle(
    notificationContext(ctx, current, ctx.engine.eventCount(entry.config.id)),
    type,
    [],
  );
}

/** Parse a Last-Event-ID: a non-negative decimal no greater than the current count. */
export function parseCursor(raw: string | undefined, eventCount: number): number | null {
  if (raw === undefined) return null;
  if (!/^\d{1,15}$/.test(raw))
    throw new FhirError(400, 'invalid', 'Last-Event-ID must be a non-negative decimal integer');
  const value = Number(raw);
  if (value > eventCount) {
    throw new FhirError(
      400,
      'invalid',
      `Last-Event-ID ${value} is beyond the last event number ${eventCount}`,
    );
  }
  return value;
}
