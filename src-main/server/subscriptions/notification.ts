// Notification Bundles in the R4 backport shape (STU 1.1/1.2: Bundle.type history, entry[0] a
// Parameters resource with the backport-subscription-status-r4 profile; docs/sse-channel.md §4).
import { randomUUID } from 'node:crypto';
import type { StoredResource } from '../base/types.ts';
import type { EventRecord, SubscriptionEntry } from './engine.ts';
import type { PayloadContent, SubscriptionStatus } from './parse.ts';

export type NotificationType =
  'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

const STATUS_PROFILE =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4';

export interface NotificationContext {
  fhirBase: string;
  entry: SubscriptionEntry;
  status: SubscriptionStatus;
  eventCount: number;
  /** Version-exact resource lookup for full-resource payloads; null when it cannot be included. */
  loadFocus: (event: EventRecord) => StoredResource | null;
}

interface Parameter {
  name: string;
  [key: string]: unknown;
}

export function statusParameters(
  ctx: NotificationContext,
  type: NotificationType,
  events: readonly EventRecord[],
  payload: PayloadContent,
): Record<string, unknown> {
  const { fhirBase, entry } = ctx;
  const parameter: Parameter[] = [
    { name: 'subscription', valueReference: { reference: `${fhirBase}/Subscription/${entry.config.id}` } },
  ];
  // The IG: topic SHOULD NOT be present for empty payloads.
  if (payload !== 'empty') parameter.push({ name: 'topic', valueCanonical: entry.config.topic.url });
  parameter.push(
    { name: 'status', valueCode: ctx.status },
    { name: 'type', valueCode: type },
    { name: 'events-since-subscription-start', valueString: String(ctx.eventCount) },
  );
  for (const event of events) {
    const part: Parameter[] = [
      { name: 'event-number', valueString: String(event.eventNumber) },
      { name: 'timestamp', valueInstant: event.at },
    ];
    if (payload !== 'empty') {
      part.push({
        name: 'focus',
        valueReference: { reference: `${fhirBase}/${event.focusType}/${event.focusId}` },
      });
    }
    parameter.push({ name: 'notification-event', part });
  }
  return { resourceType: 'Parameters', meta: { profile: [STATUS_PROFILE] }, parameter };
}

/** A notification Bundle for `events` (none for handshake/heartbeat/query-status). */
export function notificationBundle(
  ctx: NotificationContext,
  type: NotificationType,
  events: readonly EventRecord[],
  payload: PayloadContent = ctx.entry.config.payload,
): Record<string, unknown> {
  const { fhirBase, entry } = ctx;
  const bundleEntries: Record<string, unknown>[] = [
    {
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: statusParameters(ctx, type, events, payload),
      request: { method: 'GET', url: `${fhirBase}/Subscription/${entry.config.id}/$status` },
      response: { status: '200' },
    },
  ];
  if (payload === 'full-resource') {
    for (const event of events) {
      const fullUrl = `${fhirBase}/${event.focusType}/${event.focusId}`;
      const resource = event.interaction === 'delete' ? null : ctx.loadFocus(event);
      const method =
        event.interaction === 'create' ? 'POST' : event.interaction === 'update' ? 'PUT' : 'DELETE';
      bundleEntries.push({
        fullUrl,
        ...(resource ? { resource } : {}),
        request: { method, url: method === 'POST' ? event.focusType : `${event.focusType}/${event.focusId}` },
        response: {
          status: event.interaction === 'create' ? '201' : event.interaction === 'delete' ? '204' : '200',
          ...(resource ? { etag: `W/"${event.focusVersion}"`, lastModified: event.at } : {}),
        },
      });
    }
  }
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: bundleEntries,
  };
}
