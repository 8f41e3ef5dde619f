// The status entry of a notification Bundle, in each form seen in the wild, reduced to one shape:
// R4 backport `Parameters` (with the 0.1.0-era parameter names), R4B/R5 `SubscriptionStatus` and the
// STU2-draft `Basic` with cross-version extensions. docs/interop.md lists the forms and their sources.
//
// Error messages name paths and rules only, never values: a notification may carry PHI.
import type { JsonRecord } from '../../shared/fhir-json.ts';
import { arr, choice, isRecord, namedParameters, records, str } from '../../shared/fhir-json.ts';
import type { NotificationEvent, NotificationType } from './types.ts';

const NOTIFICATION_TYPES: readonly NotificationType[] = [
  'handshake',
  'heartbeat',
  'event-notification',
  'query-status',
  'query-event',
];
const INT64_MAX = 9223372036854775807n;
/** More events than this in one notification is not a notification but an attack or a bug. */
const MAX_SYNTHESIZED_EVENTS = 1000n;
// STU2-draft cross-version extensions; both prefixes occur (candle only knows 5.0, the IG mixes 4.3).
const XVER_PREFIXES = [
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionStatus.',
  'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionStatus.',
];

/** Thrown only inside the notification parser and always caught by `parseNotificationBundle`. */
export class NotificationError extends Error {}

export function fail(message: string): never {
  throw new NotificationError(message);
}

/**
 * A count or event number as a canonical non-negative decimal string. FHIR sends these as strings
 * (R4 valueString, R4B string, R5 integer64) but older and sloppier servers send JSON numbers.
 */
export function normalizeEventNumber(value: unknown): string | null {
  let big: bigint;
  if (typeof value === 'string') {
    if (!/^\d{1,19}$/.test(value)) return null;
    big = BigInt(value);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return null;
    big = BigInt(value);
  } else {
    return null;
  }
  return big <= INT64_MAX ? big.toString() : null;
}

function requireNumber(value: unknown, path: string): string {
  const n = normalizeEventNumber(value);
  if (n === null) fail(`${path} is not a non-negative decimal integer`);
  return n;
}

const NUMBER_CHOICES = [
  'valueString',
  'valueInteger',
  'valueUnsignedInt',
  'valuePositiveInt',
  'valueDecimal',
  'valueInteger64',
];
const TIMESTAMP_CHOICES = ['valueInstant', 'valueDateTime', 'valueDate'];
const CANONICAL_CHOICES = ['valueCanonical', 'valueUri', 'valueUrl', 'valueString'];

export function referenceString(value: unknown): string | null {
  if (typeof value === 'string') return str(value);
  if (isRecord(value)) return str(value['reference']);
  return null;
}

/** Subscription may be a Reference or (old candle fixture, 0.1.0 `subscription-url`) a bare string. */
function subscriptionFromChoice(holder: JsonRecord): string | null {
  return (
    referenceString(holder['valueReference']) ??
    str(holder['valueString']) ??
    str(holder['valueUri']) ??
    str(holder['valueCanonical'])
  );
}

function codeableConceptText(value: unknown): string | null {
  if (!isRecord(value)) return null;
  for (const coding of records(value['coding'])) {
    const code = coding['code'];
    if (typeof code === 'string') {
      const system = str(coding['system']);
      return system ? `${system}#${code}` : code;
    }
  }
  return str(value['text']);
}

function notificationType(value: unknown, path: string): NotificationType {
  const found = NOTIFICATION_TYPES.find((t) => t === value);
  if (!found) fail(`${path} is missing or not a known notification type`);
  return found;
}

/** One status resource, whatever its form. */
export interface StatusCore {
  type: NotificationType;
  subscription: string | null;
  topic: string | null;
  status: string | null;
  eventsSinceSubscriptionStart: string | null;
  events: NotificationEvent[];
  /**
   * How many events were numbered from a count (`events-in-notification`, `eventsInNotification`)
   * because the status listed none: their focus, if any, is the first entries after the status.
   */
  countedEvents: number;
  errors: string[];
}

/**
 * Events a status only counts (0.1.0 ballot, 2021 drafts): the `count` events ending at
 * `eventsSince`. Synthesized so that they are not lost; their focus comes from the entries later.
 */
function countedEvents(
  type: NotificationType,
  eventsSince: string | null,
  count: string | null,
): NotificationEvent[] {
  if (count === null || type !== 'event-notification' || count === '0') return [];
  if (eventsSince === null)
    fail('events counted in the notification, but no events-since-subscription-start');
  const last = BigInt(eventsSince);
  const n = BigInt(count);
  if (n > last) fail('events-in-notification exceeds events-since-subscription-start');
  if (n > MAX_SYNTHESIZED_EVENTS) fail('events-in-notification is implausibly large');
  const events: NotificationEvent[] = [];
  for (let k = last - n + 1n; k <= last; k++) {
    events.push({ eventNumber: k.toString(), timestamp: null, focus: null, additionalContext: [] });
  }
  return events;
}

// ---- R4 backport: Parameters -------------------------------------------------------------------

/** The first parameter with any of these names: current names first, then the 0.1.0-era ones. */
function firstNamed(list: unknown, ...names: string[]): JsonRecord | null {
  for (const name of names) {
    const found = namedParameters(list, name)[0];
    if (found) return found;
  }
  return null;
}

function parseParametersEvent(part: unknown, path: string): NotificationEvent {
  const numberPart = firstNamed(part, 'event-number');
  if (!numberPart) fail(`${path}.event-number is missing`);
  const timestampPart = firstNamed(part, 'timestamp');
  const focusPart = firstNamed(part, 'focus');
  return {
    eventNumber: requireNumber(choice(numberPart, NUMBER_CHOICES), `${path}.event-number`),
    timestamp: timestampPart ? str(choice(timestampPart, TIMESTAMP_CHOICES)) : null,
    focus: focusPart ? referenceString(focusPart['valueReference']) : null,
    additionalContext: namedParameters(part, 'additional-context')
      .map((p) => referenceString(p['valueReference']))
      .filter((r): r is string => r !== null),
  };
}

export function parseParameters(resource: JsonRecord): StatusCore {
  const params = resource['parameter'];
  if (!Array.isArray(params)) fail('status Parameters has no parameter array');
  const typeParam = firstNamed(params, 'type');
  const type = notificationType(typeParam ? typeParam['valueCode'] : undefined, 'status parameter type');
  const subscriptionParam = firstNamed(params, 'subscription', 'subscription-url');
  const topicParam = firstNamed(params, 'topic', 'subscription-topic-url');
  const statusParam = firstNamed(params, 'status');
  const sinceParam = firstNamed(params, 'events-since-subscription-start', 'subscription-event-count');
  const countParam = firstNamed(params, 'events-in-notification', 'bundle-event-count');
  const events = namedParameters(params, 'notification-event').map((p, i) =>
    parseParametersEvent(p['part'], `notification-event[${i}]`),
  );
  const eventsSince = sinceParam
    ? requireNumber(choice(sinceParam, NUMBER_CHOICES), 'events-since-subscription-start')
    : null;
  const count =
    countParam && events.length === 0
      ? requireNumber(choice(countParam, NUMBER_CHOICES), 'events-in-notification')
      : null;
  const counted = events.length === 0 ? countedEvents(type, eventsSince, count) : [];
  return {
    type,
    subscription: subscriptionParam ? subscriptionFromChoice(subscriptionParam) : null,
    topic: topicParam ? str(choice(topicParam, CANONICAL_CHOICES)) : null,
    status: statusParam ? str(statusParam['valueCode']) : null,
    eventsSinceSubscriptionStart: eventsSince,
    events: events.length > 0 ? events : counted,
    countedEvents: counted.length,
    errors: namedParameters(params, 'error')
      .map((p) => codeableConceptText(p['valueCodeableConcept']))
      .filter((e): e is string => e !== null),
  };
}

// ---- R4B / R5: SubscriptionStatus --------------------------------------------------------------

function parseStatusEvent(value: unknown, path: string): NotificationEvent {
  if (!isRecord(value)) fail(`${path} is not an object`);
  return {
    eventNumber: requireNumber(value['eventNumber'], `${path}.eventNumber`),
    timestamp: str(value['timestamp']),
    // A focus given only by identifier (athenahealth) has no literal reference: nothing to fetch.
    focus: referenceString(value['focus']),
    additionalContext: arr(value['additionalContext'])
      .map(referenceString)
      .filter((r): r is string => r !== null),
  };
}

export function parseSubscriptionStatus(resource: JsonRecord): StatusCore {
  // `notificationType` is the pre-R5 (2020May) name of `type`.
  const type = notificationType(resource['type'] ?? resource['notificationType'], 'SubscriptionStatus.type');
  const since = resource['eventsSinceSubscriptionStart'];
  const eventsSince =
    since === undefined ? null : requireNumber(since, 'SubscriptionStatus.eventsSinceSubscriptionStart');
  const events = arr(resource['notificationEvent']).map((e, i) =>
    parseStatusEvent(e, `notificationEvent[${i}]`),
  );
  // The 2021 drafts counted events (`eventsInNotification`) instead of listing them, exactly like
  // the Parameters form's `events-in-notification`: read both the same way.
  const countValue = resource['eventsInNotification'];
  const count =
    countValue !== undefined && events.length === 0
      ? requireNumber(countValue, 'SubscriptionStatus.eventsInNotification')
      : null;
  const counted = events.length === 0 ? countedEvents(type, eventsSince, count) : [];
  return {
    type,
    subscription: referenceString(resource['subscription']),
    topic: str(resource['topic']) ?? referenceString(resource['topic']),
    status: str(resource['status']),
    eventsSinceSubscriptionStart: eventsSince,
    events: events.length > 0 ? events : counted,
    countedEvents: counted.length,
    errors: arr(resource['error'])
      .map(codeableConceptText)
      .filter((e): e is string => e !== null),
  };
}

// ---- STU2 draft: Basic with cross-version extensions ------------------------------------------

function xverElement(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  const prefix = XVER_PREFIXES.find((p) => url.startsWith(p));
  return prefix ? url.slice(prefix.length) : null;
}

function extensionsNamed(list: unknown, element: string, nested: boolean): JsonRecord[] {
  return records(list).filter((e) => (nested ? e['url'] === element : xverElement(e['url']) === element));
}

function parseBasicEvent(ext: JsonRecord, path: string): NotificationEvent {
  const sub = ext['extension'];
  const numberExt = extensionsNamed(sub, 'eventNumber', true)[0];
  if (!numberExt) fail(`${path}.eventNumber is missing`);
  const timestampExt = extensionsNamed(sub, 'timestamp', true)[0];
  const focusExt = extensionsNamed(sub, 'focus', true)[0];
  return {
    eventNumber: requireNumber(choice(numberExt, NUMBER_CHOICES), `${path}.eventNumber`),
    timestamp: timestampExt ? str(choice(timestampExt, TIMESTAMP_CHOICES)) : null,
    focus: focusExt ? referenceString(focusExt['valueReference']) : null,
    additionalContext: extensionsNamed(sub, 'additionalContext', true)
      .map((e) => referenceString(e['valueReference']))
      .filter((r): r is string => r !== null),
  };
}

export function isStatusBasic(resource: JsonRecord): boolean {
  const code = resource['code'];
  return (
    isRecord(code) &&
    records(code['coding']).some(
      (c) => c['system'] === 'http://hl7.org/fhir/fhir-types' && c['code'] === 'SubscriptionStatus',
    )
  );
}

export function parseBasic(resource: JsonRecord): StatusCore {
  if (!isStatusBasic(resource)) fail('status Basic is not coded as a SubscriptionStatus');
  const exts = resource['extension'];
  // `type` is a modifierExtension in the draft; accept it as a plain extension too.
  const typeExt =
    extensionsNamed(resource['modifierExtension'], 'type', false)[0] ??
    extensionsNamed(exts, 'type', false)[0];
  const type = notificationType(
    typeExt ? (typeExt['valueCode'] ?? typeExt['valueString']) : undefined,
    'SubscriptionStatus.type extension',
  );
  const subscriptionExt = extensionsNamed(exts, 'subscription', false)[0];
  const topicExt = extensionsNamed(exts, 'topic', false)[0];
  const statusExt = extensionsNamed(exts, 'status', false)[0];
  const sinceExt = extensionsNamed(exts, 'eventsSinceSubscriptionStart', false)[0];
  return {
    type,
    subscription: subscriptionExt ? subscriptionFromChoice(subscriptionExt) : null,
    topic: topicExt ? str(choice(topicExt, CANONICAL_CHOICES)) : null,
    status: statusExt ? str(statusExt['valueCode'] ?? statusExt['valueString']) : null,
    eventsSinceSubscriptionStart: sinceExt
      ? requireNumber(choice(sinceExt, NUMBER_CHOICES), 'eventsSinceSubscriptionStart extension')
      : null,
    events: extensionsNamed(exts, 'notificationEvent', false).map((e, i) =>
      parseBasicEvent(e, `notificationEvent extension[${i}]`),
    ),
    countedEvents: 0,
    errors: extensionsNamed(exts, 'error', false)
      .map((e) => codeableConceptText(e['valueCodeableConcept']))
      .filter((e): e is string => e !== null),
  };
}

/** The status resource of entry[0], in whichever form it came. */
export function parseStatusResource(resource: unknown): StatusCore {
  if (!isRecord(resource)) fail('entry[0] has no status resource');
  switch (resource['resourceType']) {
    case 'Parameters':
      return parseParameters(resource);
    case 'SubscriptionStatus':
      return parseSubscriptionStatus(resource);
    case 'Basic':
      return parseBasic(resource);
    default:
      return fail('entry[0].resource is not Parameters, SubscriptionStatus or Basic');
  }
}
