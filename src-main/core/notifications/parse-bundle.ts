// Parse a subscription notification Bundle of any generation seen in the wild into one shape.
// Keyed on the status resource's `resourceType`, never on the FHIR version: servers mix them
// (Medplum puts an R4B/R5 SubscriptionStatus inside an R4 history Bundle).
//
// Error messages name paths and rules only, never values: a notification may carry PHI.
import type { JsonRecord } from '../../shared/fhir-json.ts';
import { arr, choice, isRecord, namedParameters, parseJson, records, str } from '../../shared/fhir-json.ts';
import type { NotificationEvent, NotificationType, ParsedNotification } from './types.ts';

export type ParseResult = { ok: true; notification: ParsedNotification } | { ok: false; error: string };

const NOTIFICATION_TYPES: readonly NotificationType[] = [
  'handshake',
  'heartbeat',
  'event-notification',
  'query-status',
  'query-event',
];
const BUNDLE_TYPES = ['history', 'subscription-notification', 'searchset'];
const INT64_MAX = 9223372036854775807n;
// STU2-draft cross-version extensions; both prefixes occur (candle only knows 5.0, the IG mixes 4.3).
const XVER_PREFIXES = [
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionStatus.',
  'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionStatus.',
];

/** Thrown only inside this module and always caught by `parseNotificationBundle`. */
class NotificationError extends Error {}

function fail(message: string): never {
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

function referenceString(value: unknown): string | null {
  if (typeof value === 'string') return str(value);
  if (isRecord(value)) return str(value['reference']);
  return null;
}

/** Subscription may be a Reference or (old candle fixture) a bare string. */
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

interface StatusCore {
  type: NotificationType;
  subscription: string | null;
  topic: string | null;
  status: string | null;
  eventsSinceSubscriptionStart: string | null;
  events: NotificationEvent[];
  errors: string[];
}

// ---- R4 backport: Parameters -------------------------------------------------------------------

function firstNamed(list: unknown, name: string): JsonRecord | null {
  return namedParameters(list, name)[0] ?? null;
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

function parseParameters(resource: JsonRecord): StatusCore {
  const params = resource['parameter'];
  if (!Array.isArray(params)) fail('status Parameters has no parameter array');
  const typeParam = firstNamed(params, 'type');
  const type = notificationType(typeParam ? typeParam['valueCode'] : undefined, 'status parameter type');
  const subscriptionParam = firstNamed(params, 'subscription');
  const topicParam = firstNamed(params, 'topic');
  const statusParam = firstNamed(params, 'status');
  const sinceParam = firstNamed(params, 'events-since-subscription-start');
  const events = namedParameters(params, 'notification-event').map((p, i) =>
    parseParametersEvent(p['part'], `notification-event[${i}]`),
  );
  const eventsSince = sinceParam
    ? requireNumber(choice(sinceParam, NUMBER_CHOICES), 'events-since-subscription-start')
    : null;
  // 0.1.0 ballot: no notification-event; `events-in-notification` counts the events ending at
  // events-since-subscription-start. Synthesize them so they are not lost (focus comes from entries).
  const inNotification = firstNamed(params, 'events-in-notification');
  const legacyCount =
    inNotification && events.length === 0
      ? requireNumber(choice(inNotification, NUMBER_CHOICES), 'events-in-notification')
      : null;
  if (legacyCount !== null && eventsSince !== null && type === 'event-notification') {
    const last = BigInt(eventsSince);
    const count = BigInt(legacyCount);
    if (count > last) fail('events-in-notification exceeds events-since-subscription-start');
    if (count > 1000n) fail('events-in-notification is implausibly large');
    for (let n = last - count + 1n; n <= last; n++) {
      events.push({ eventNumber: n.toString(), timestamp: null, focus: null, additionalContext: [] });
    }
  }
  return {
    type,
    subscription: subscriptionParam ? subscriptionFromChoice(subscriptionParam) : null,
    topic: topicParam ? str(choice(topicParam, CANONICAL_CHOICES)) : null,
    status: statusParam ? str(statusParam['valueCode']) : null,
    eventsSinceSubscriptionStart: eventsSince,
    events,
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
    focus: referenceString(value['focus']),
    additionalContext: arr(value['additionalContext'])
      .map(referenceString)
      .filter((r): r is string => r !== null),
  };
}

function parseSubscriptionStatus(resource: JsonRecord): StatusCore {
  // `notificationType` is the pre-R5 (2020May) name of `type`.
  const type = notificationType(resource['type'] ?? resource['notificationType'], 'SubscriptionStatus.type');
  const since = resource['eventsSinceSubscriptionStart'];
  return {
    type,
    subscription: referenceString(resource['subscription']),
    topic: str(resource['topic']) ?? referenceString(resource['topic']),
    status: str(resource['status']),
    eventsSinceSubscriptionStart:
      since === undefined ? null : requireNumber(since, 'SubscriptionStatus.eventsSinceSubscriptionStart'),
    events: arr(resource['notificationEvent']).map((e, i) => parseStatusEvent(e, `notificationEvent[${i}]`)),
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

function parseBasic(resource: JsonRecord): StatusCore {
  const code = resource['code'];
  const isStatus =
    isRecord(code) &&
    records(code['coding']).some(
      (c) => c['system'] === 'http://hl7.org/fhir/fhir-types' && c['code'] === 'SubscriptionStatus',
    );
  if (!isStatus) fail('status Basic is not coded as a SubscriptionStatus');
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
    errors: extensionsNamed(exts, 'error', false)
      .map((e) => codeableConceptText(e['valueCodeableConcept']))
      .filter((e): e is string => e !== null),
  };
}

// ---- Bundle -------------------------------------------------------------------------------------

function parseStatusResource(resource: unknown): StatusCore {
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

/** Resources beyond the status entry, keyed by fullUrl (or `Type/id` when a server omits fullUrl). */
function collectResources(entries: unknown[]): Record<string, unknown> {
  // A null-prototype object: fullUrls are server-controlled and must not hit `__proto__`.
  const resources: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const entry of entries.slice(1)) {
    if (!isRecord(entry) || !isRecord(entry['resource'])) continue;
    const resource = entry['resource'];
    const key =
      str(entry['fullUrl']) ??
      (typeof resource['resourceType'] === 'string' && typeof resource['id'] === 'string'
        ? `${resource['resourceType']}/${resource['id']}`
        : null);
    if (key !== null) resources[key] = resource;
  }
  return resources;
}

/** 0.1.0 notifications carry focus only as extra entries; fill synthesized events from them in order. */
function fillLegacyFocus(events: NotificationEvent[], entries: unknown[]): void {
  const refs = entries.slice(1).map((e) => (isRecord(e) ? str(e['fullUrl']) : null));
  if (refs.length !== events.length || events.some((e) => e.focus !== null)) return;
  events.forEach((e, i) => {
    e.focus = refs[i] ?? null;
  });
}

function parseBundleOrThrow(json: unknown): ParsedNotification {
  if (!isRecord(json)) fail('notification is not a JSON object');
  if (json['resourceType'] !== 'Bundle') fail('notification is not a Bundle');
  if (typeof json['type'] !== 'string' || !BUNDLE_TYPES.includes(json['type'])) {
    fail('Bundle.type is not history, subscription-notification or searchset');
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
  fillLegacyFocus(core.events, entries);
  return {
    type: core.type,
    subscription: core.subscription,
    topic: core.topic,
    status: core.status,
    eventsSinceSubscriptionStart: core.eventsSinceSubscriptionStart,
    events: core.events,
    resources: collectResources(entries),
    errors: core.errors,
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

// ---- References ----------------------------------------------------------------------------------

export interface ResolvedReference {
  /** `Type/id`, safe to append to the FHIR base (validated syntax, no path traversal). */
  relative: string;
  /** `_history` version when the reference was version-specific. */
  version: string | null;
  /**
   * True when the reference is relative or absolute under this server's FHIR base. False means another
   * server (or another base on the same host): never fetch it with this server's token.
   */
  sameOrigin: boolean;
}

const TYPE_RE = /^[A-Z][A-Za-z]{0,63}$/;
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

function parseRelative(path: string): { relative: string; version: string | null } | null {
  const parts = path.split('/');
  const [type, id, history, version] = parts;
  if (type === undefined || id === undefined || !TYPE_RE.test(type) || !ID_RE.test(id)) return null;
  if (parts.length === 2) return { relative: `${type}/${id}`, version: null };
  if (parts.length === 4 && history === '_history' && version !== undefined && ID_RE.test(version)) {
    return { relative: `${type}/${id}`, version };
  }
  return null;
}

/**
 * Resolve a literal reference from a notification for claim-check fetching. Returns null for
 * references that cannot be fetched as `Type/id` (urn:uuid:, contained `#x`, logical, malformed).
 */
export function resolveReference(ref: string, fhirBase: string): ResolvedReference | null {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
    const rel = parseRelative(ref);
    return rel ? { ...rel, sameOrigin: true } : null;
  }
  let url: URL;
  let base: URL;
  try {
    url = new URL(ref);
    base = new URL(fhirBase);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.search !== '' || url.hash !== '') return null;
  const basePath = base.pathname.replace(/\/+$/, '');
  const underBase = url.origin === base.origin && url.pathname.startsWith(`${basePath}/`);
  // A foreign reference still gets its Type/id (path tail) so the UI can name what it cannot fetch.
  const segments = url.pathname.split('/').filter(Boolean);
  const rel = underBase
    ? parseRelative(url.pathname.slice(basePath.length + 1))
    : (parseRelative(segments.slice(-4).join('/')) ?? parseRelative(segments.slice(-2).join('/')));
  if (!rel) return null;
  return { ...rel, sameOrigin: underBase };
}
