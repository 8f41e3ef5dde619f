// The Subscription resources this workstation creates, and how it recognises its own on a server:
// an R4 backport topic subscription (with the backport profile and extensions: servers such as HAPI
// recognise topic subscriptions by that profile), or a plain R4 search-criteria subscription with no
// `meta.profile` and no backport extensions at all (Medplum looks a declared profile up, which user
// scopes refuse with 403). Both carry a tag naming this workstation and user, so that a subscription
// created by a start that died before reading the answer is found and reused, not duplicated.
import { createHash } from 'node:crypto';
import { at, records, str } from '../../shared/fhir-json.ts';
import type { TopicRequest } from '../ports.ts';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const SSE_CHANNEL_CODING = {
  system: 'http://alert-monitor.local/fhir/CodeSystem/channel-type',
  code: 'server-sent-events',
} as const;
export const OWNER_TAG_SYSTEM = 'http://alert-monitor.local/fhir/CodeSystem/subscription-owner';
export const SUBSCRIPTION_REASON = 'Alert monitor workstation';

export interface Coding {
  system: string;
  code: string;
}

/** The tag of this workstation's subscriptions for one user: a hash, so it names no one. */
export function ownerTag(installationId: string, owner: string | null): Coding {
  const code = createHash('sha256')
    .update(`${installationId}|${owner ?? ''}`)
    .digest('hex')
    .slice(0, 32);
  return { system: OWNER_TAG_SYSTEM, code };
}

/** The channel element: our SSE channel (docs/sse-channel.md §1) or the standard websocket. */
function channelElement(channel: 'sse' | 'websocket', backport: boolean): Record<string, unknown> {
  const type =
    channel === 'websocket'
      ? { type: 'websocket' }
      : {
          type: 'rest-hook',
          _type: {
            extension: [{ url: `${BACKPORT}/backport-channel-type`, valueCoding: SSE_CHANNEL_CODING }],
          },
        };
  return backport ? type : { ...type, payload: 'application/fhir+json' };
}

/** The R4 backport topic Subscription body. */
export function backportSubscription(
  request: TopicRequest,
  channel: 'sse' | 'websocket',
  reason: string,
  tag: Coding | null,
): Record<string, unknown> {
  return {
    resourceType: 'Subscription',
    meta: {
      profile: [`${BACKPORT}/backport-subscription`],
      ...(tag ? { tag: [tag] } : {}),
    },
    status: 'requested',
    reason,
    criteria: request.topic,
    ...(request.filters.length > 0
      ? {
          _criteria: {
            extension: request.filters.map((value) => ({
              url: `${BACKPORT}/backport-filter-criteria`,
              valueString: value,
            })),
          },
        }
      : {}),
    channel: {
      ...channelElement(channel, true),
      extension: [
        { url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: request.heartbeatSeconds },
      ],
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'id-only' }] },
    },
  };
}

/** A plain R4 Subscription on a search: no profile, no backport extensions. */
export function criteriaSubscription(
  criteria: string,
  channel: 'sse' | 'websocket',
  reason: string,
  tag: Coding | null,
): Record<string, unknown> {
  return {
    resourceType: 'Subscription',
    ...(tag ? { meta: { tag: [tag] } } : {}),
    status: 'requested',
    reason,
    criteria,
    channel: channelElement(channel, false),
  };
}

/** The channel a server-side Subscription uses, as far as this client can tell. */
export function channelOf(subscription: unknown): 'sse' | 'websocket' | null {
  const type = str(at(subscription, 'channel', 'type'));
  if (type === 'websocket') return 'websocket';
  const declared = records(at(subscription, 'channel', '_type', 'extension')).some(
    (e) => str(at(e, 'valueCoding', 'code')) === SSE_CHANNEL_CODING.code,
  );
  return type === 'rest-hook' && declared ? 'sse' : null;
}

/** Whether a server-side Subscription carries this tag. */
export function hasTag(subscription: unknown, tag: Coding): boolean {
  return records(at(subscription, 'meta', 'tag')).some(
    (t) => t['system'] === tag.system && t['code'] === tag.code,
  );
}
