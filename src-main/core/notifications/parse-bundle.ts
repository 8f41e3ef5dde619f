// Parse a subscription notification Bundle of any generation seen in the wild into one shape.
// Keyed on the status resource's `resourceType`, never on the FHIR version: servers mix them
// (Medplum puts an R4B/R5 SubscriptionStatus inside an R4 history Bundle). The status forms are read in
// status-resources.ts; this file handles the Bundle around them. docs/interop.md lists the shapes.
//
// Error messages name paths and rules only, never values: a notification may carry PHI.
import { isRecord, parseJson, records, str } from '../../shared/fhir-json.ts';
import {
  fail,
  NotificationError,
  parseStatusResource,
  parseSubscriptionStatus,
  type StatusCore,
} from './status-resources.ts';
import type { NotificationStatus, ParsedNotification } from './types.ts';

export { normalizeEventNumber } from './status-resources.ts';
export { resolveReference, type ResolvedReference } from './references.ts';

export type ParseResult = { ok: true; notification: ParsedNotification } | { ok: false; error: string };

const BUNDLE_TYPES = ['history', 'subscription-notification', 'searchset'];

/** Resources beyond the status entries, keyed by fullUrl (or `Type/id` when a server omits fullUrl). */
function collectResources(entries: readonly unknown[]): Record<string, unknown> {
  // A null-prototype object: fullUrls are server-controlled and must not hit `__proto__`.
  const resources: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const entry of entries.slice(1)) {
    if (!isRecord(entry) || !isRecord(entry['resource'])) continue;
    const resource = entry['resource'];
    if (resource['resourceType'] === 'SubscriptionStatus') continue;
    const key =
      str(entry['fullUrl']) ??
      (typeof resource['resourceType'] === 'string' && typeof resource['id'] === 'string'
        ? `${resource['resourceType']}/${resource['id']}`
        : null);
    if (key !== null) resources[key] = resource;
  }
  return resources;
}

/**
 * Events a status only counted (0.1.0 ballot, 2021 drafts) take their focus from the entries right
 * after the status, in order: that is where those drafts put the focus resources (id-only: a fullUrl
 * without a resource), followed by any context. Only those counted events, never events the server
 * listed: a listed event whose focus is identifier-only keeps no focus (athenahealth follows it with
 * an AuditEvent entry, which is not what the event is about). Fewer entries than events: ambiguous,
 * so no event gets a focus.
 */
function fillCountedFocus(core: StatusCore, entries: readonly unknown[]): void {
  if (core.countedEvents === 0) return;
  const refs = entries
    .slice(1)
    .filter(
      (e) => !(isRecord(e) && isRecord(e['resource']) && e['resource']['resourceType'] === 'AuditEvent'),
    )
    .map((e) => (isRecord(e) ? str(e['fullUrl']) : null));
  if (refs.length < core.countedEvents) return;
  core.events.forEach((event, i) => {
    event.focus = refs[i] ?? null;
  });
}

/**
 * A heartbeat or handshake on a socket bound to several subscriptions (Medplum) carries one
 * SubscriptionStatus entry per subscription. Every one is reported; a malformed extra one is skipped.
 */
function statusesOf(first: StatusCore, entries: readonly unknown[]): NotificationStatus[] {
  const summary = (core: StatusCore, subscription: string): NotificationStatus => ({
    subscription,
    type: core.type,
    status: core.status,
    eventsSinceSubscriptionStart: core.eventsSinceSubscriptionStart,
  });
  const statuses: NotificationStatus[] = first.subscription ? [summary(first, first.subscription)] : [];
  for (const entry of records(entries.slice(1))) {
    const resource = entry['resource'];
    if (!isRecord(resource) || resource['resourceType'] !== 'SubscriptionStatus') continue;
    try {
      const more = parseSubscriptionStatus(resource);
      if (more.subscription) statuses.push(summary(more, more.subscription));
    } catch (error) {
      if (!(error instanceof NotificationError)) throw error;
    }
  }
  return statuses;
}

/**
 * The R5 message channel wraps the notification Bundle in a `message` Bundle: the MessageHeader's
 * focus names the entry that holds it. Only one level is unwrapped.
 */
function unwrapMessage(json: Record<string, unknown>): unknown {
  if (json['type'] !== 'message') return json;
  const entries = records(json['entry']);
  const header = entries[0]?.['resource'];
  if (!isRecord(header) || header['resourceType'] !== 'MessageHeader') {
    fail('message Bundle does not start with a MessageHeader');
  }
  const target = str(records(header['focus'])[0]?.['reference']);
  const inner = entries.find((e) => target !== null && e['fullUrl'] === target)?.['resource'];
  if (!isRecord(inner) || inner['resourceType'] !== 'Bundle' || inner['type'] === 'message') {
    fail('MessageHeader.focus does not name a notification Bundle in the message');
  }
  return inner;
}

function parseBundleOrThrow(input: unknown): ParsedNotification {
  if (!isRecord(input)) fail('notification is not a JSON object');
  if (input['resourceType'] !== 'Bundle') fail('notification is not a Bundle');
  const json = unwrapMessage(input);
  if (!isRecord(json)) fail('notification is not a JSON object');
  if (typeof json['type'] !== 'string' || !BUNDLE_TYPES.includes(json['type'])) {
    fail('Bundle.type is not history, subscription-notification, searchset or message');
  }
  const entries = json['entry'];
  if (!Array.isArray(entries) || entries.length === 0) fail('Bundle has no status entry');
  const first: unknown = entries[0];
  if (!isRecord(first)) fail('Bundle has no status entry');
  const core = parseStatusResource(first['resource']);
  if (core.subscription === null) fail('status has no subscription reference');
  // sst-1. query-event with no events is tolerated: an `$events` range can be legitimately empty.
  if (core.type === 'event-notification' && core.events.length === 0) {
    fail('event-notification without notificationEvent (sst-1)');
  }
  fillCountedFocus(core, entries);
  return {
    type: core.type,
    subscription: core.subscription,
    topic: core.topic,
    status: core.status,
    eventsSinceSubscriptionStart: core.eventsSinceSubscriptionStart,
    events: core.events,
    resources: collectResources(entries),
    errors: core.errors,
    statuses: statusesOf(core, entries),
  };
}

/** Never throws: any malformed input becomes `{ ok: false, error }` with a PHI-free message. */
export function parseNotificationBundle(json: unknown): ParseResult {
  try {
    return { ok: true, notification: parseBundleOrThrow(json) };
  } catch (err) {
    if (err instanceof NotificationError) return { ok: false, error: err.message };
    // Defensive: e.g. a RangeError from pathological input. Never echo the input.
    return { ok: false, error: 'notification could not be parsed' };
  }
}

/** `JSON.parse` + `parseNotificationBundle`, for channels that receive text. Never throws. */
export function parseNotificationText(text: string): ParseResult {
  const json = parseJson(text);
  if (json === undefined) return { ok: false, error: 'notification is not valid JSON' };
  return parseNotificationBundle(json);
}
