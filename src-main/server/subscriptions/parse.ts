// Reading and validating an R4 backport Subscription (docs/sse-channel.md §1). Anything the server
// cannot honour — unknown topic, filter, channel, payload or MIME version — is a 400, as the Backport IG
// requires ("SHALL reject"), never a silently degraded subscription.
import type { JsonRecord } from '../../shared/fhir-json.ts';
import { field, isRecord, list, str } from '../../shared/fhir-json.ts';
import { badRequest } from '../base/outcome.ts';
import type { FhirResource } from '../base/types.ts';
import type { TopicDefinition } from '../topics/definitions.ts';
import { findTopic } from '../topics/definitions.ts';
import type { Criterion } from '../topics/evaluate.ts';
import { parseCriteria } from '../topics/evaluate.ts';

export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const BACKPORT_PROFILE = `${BACKPORT}/backport-subscription`;
export const SSE_CHANNEL_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/channel-type';
export const SSE_CHANNEL_CODE = 'server-sent-events';
const STANDARD_CHANNEL_SYSTEM = 'http://terminology.hl7.org/CodeSystem/subscription-channel-type';

export type ChannelKind = 'sse' | 'websocket';
export type PayloadContent = 'empty' | 'id-only' | 'full-resource';
export type SubscriptionStatus = 'requested' | 'active' | 'error' | 'off' | 'entered-in-error';

export interface SubscriptionConfig {
  id: string;
  topic: TopicDefinition;
  filters: Criterion[];
  channel: ChannelKind;
  payload: PayloadContent;
  /** Seconds; null = the server default. */
  heartbeatPeriod: number | null;
  status: SubscriptionStatus;
  /** Epoch ms, or null. */
  end: number | null;
}

/** The extensions of `value` with this url (a lone extension object counts as a list of one). */
function extensionValue(value: unknown, url: string): JsonRecord[] {
  return list(field(value, 'extension'))
    .filter(isRecord)
    .filter((ext) => ext['url'] === url);
}

const STATUSES = new Set(['requested', 'active', 'error', 'off', 'entered-in-error']);

/** Validate a client-supplied Subscription and read its configuration. */
export function parseSubscription(resource: FhirResource, id: string): SubscriptionConfig {
  const status = resource.status;
  if (typeof status !== 'string' || !STATUSES.has(status)) {
    throw badRequest('Subscription.status is required (requested | active | error | off)');
  }
  const criteria = resource.criteria;
  if (typeof criteria !== 'string' || criteria.length === 0) {
    throw badRequest('Subscription.criteria must be the canonical URL of a SubscriptionTopic');
  }
  const topic = findTopic(criteria);
  if (!topic) throw badRequest(`Unsupported SubscriptionTopic '${criteria}'`);

  const filters: Criterion[] = [];
  for (const ext of extensionValue(resource._criteria, `${BACKPORT}/backport-filter-criteria`)) {
    const text = ext.valueString;
    if (typeof text !== 'string') throw badRequest('backport-filter-criteria needs a valueString');
    for (const criterion of parseCriteria(text)) {
      if (!criterion) throw badRequest(`Malformed filter criteria '${text}'`);
      const allowed = topic.canFilterBy.some(
        (f) =>
          f.filterParameter === criterion.param &&
          (criterion.resourceType === null || criterion.resourceType === f.resource),
      );
      if (!allowed || criterion.modifier) {
        throw badRequest(`Filter '${criterion.param}' is not supported by topic ${topic.url}`);
      }
      filters.push(criterion);
    }
  }

  const channel = resource.channel;
  if (!isRecord(channel)) throw badRequest('Subscription.channel is required');
  const kind = channelKind(channel);

  const payloadMime = channel.payload;
  if (payloadMime !== undefined) {
    if (typeof payloadMime !== 'string') throw badRequest('Subscription.channel.payload must be a MIME type');
    const [mime, ...params] = payloadMime.split(';').map((s) => s.trim());
    if (mime !== 'application/fhir+json' && mime !== 'application/json') {
      throw badRequest(`Unsupported payload MIME type '${mime}'`);
    }
    const version = params.find((p) => p.startsWith('fhirVersion='));
    if (version && version !== 'fhirVersion=4.0') throw badRequest(`Unsupported ${version}`);
  }
  const contentExt = extensionValue(channel._payload, `${BACKPORT}/backport-payload-content`)[0];
  const content = contentExt?.valueCode ?? 'id-only';
  if (content !== 'empty' && content !== 'id-only' && content !== 'full-resource') {
    throw badRequest(`Unsupported payload content '${String(content)}'`);
  }

  let heartbeatPeriod: number | null = null;
  const hb = extensionValue(channel, `${BACKPORT}/backport-heartbeat-period`)[0];
  if (hb) {
    const v = hb.valueUnsignedInt ?? hb.valueInteger ?? hb.valuePositiveInt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 86400) {
      throw badRequest('backport-heartbeat-period must be an integer number of seconds (1–86400)');
    }
    heartbeatPeriod = v;
  }

  let end: number | null = null;
  if (resource.end !== undefined) {
    const parsed = typeof resource.end === 'string' ? Date.parse(resource.end) : Number.NaN;
    if (Number.isNaN(parsed)) throw badRequest('Subscription.end must be an instant');
    end = parsed;
  }
  return {
    id,
    topic,
    filters,
    channel: kind,
    payload: content,
    heartbeatPeriod,
    status: status as SubscriptionStatus,
    end,
  };
}

function channelKind(channel: JsonRecord): ChannelKind {
  const type = channel.type;
  const custom = extensionValue(channel._type, `${BACKPORT}/backport-channel-type`)[0];
  if (custom) {
    const coding = custom.valueCoding;
    const system = str(field(coding, 'system'));
    const code = str(field(coding, 'code'));
    if (system === SSE_CHANNEL_SYSTEM && code === SSE_CHANNEL_CODE) return 'sse';
    if (system === STANDARD_CHANNEL_SYSTEM && code === 'websocket') return 'websocket';
    throw badRequest(`Unsupported channel type ${system ?? '?'}#${code ?? '?'}`);
  }
  if (type === 'websocket') return 'websocket';
  throw badRequest(
    `Unsupported channel type '${String(type)}': use websocket or the server-sent-events channel (${SSE_CHANNEL_SYSTEM})`,
  );
}
