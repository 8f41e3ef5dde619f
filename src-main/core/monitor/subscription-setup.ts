// Finding, creating and re-activating the R4 backport Subscription this workstation listens on.
// One subscription per (server, topic, user) is reused across restarts so its event numbers, and the
// cursor stored against them, stay meaningful.
import { at, isResource, outcomeMessage, str, type FhirJsonResource } from '../../shared/fhir-json.ts';
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';
import type { TopicRequest } from '../ports.ts';
import type { ClientStore, SubscriptionRecord } from '../store/client-store.ts';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const SSE_CHANNEL_CODING = {
  system: 'http://alert-monitor.local/fhir/CodeSystem/channel-type',
  code: 'server-sent-events',
} as const;

/**
 * The R4 backport Subscription body: our SSE channel (docs/sse-channel.md §1) declared through
 * backport-channel-type, or the standard `websocket` channel type.
 */
export function buildSubscription(request: TopicRequest, reason: string): Record<string, unknown> {
  const websocket = request.channel === 'websocket';
  return {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
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
      ...(websocket
        ? { type: 'websocket' }
        : {
            type: 'rest-hook',
            _type: {
              extension: [{ url: `${BACKPORT}/backport-channel-type`, valueCoding: SSE_CHANNEL_CODING }],
            },
          }),
      extension: [
        { url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: request.heartbeatSeconds },
      ],
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'id-only' }] },
    },
  };
}

function asSubscription(body: unknown): FhirJsonResource | null {
  return isResource(body, 'Subscription') ? body : null;
}

/** The stream URL a Subscription names (`channel.endpoint`), if any. */
function endpointOf(subscription: unknown): string | null {
  return str(at(subscription, 'channel', 'endpoint'));
}

function outcomeText(body: unknown): string {
  return outcomeMessage(body, 300) ?? 'no details';
}

/**
 * Reuse the stored subscription when the server still has it (re-activating one in `error`/`off`),
 * otherwise create a new one. Returns the stored record with its cursor.
 */
export async function ensureSubscription(
  access: FhirAccess,
  store: ClientStore,
  owner: string | null,
  request: TopicRequest,
): Promise<SubscriptionRecord> {
  const existing = store.findSubscription(access.fhirBase, request.topic, owner);
  if (existing) {
    const { status, body } = await fhirFetch(access, `Subscription/${existing.remoteId}`);
    const remote = status === 200 ? asSubscription(body) : null;
    if (remote && remote['criteria'] === request.topic && existing.channel === (request.channel ?? 'sse')) {
      let current = remote;
      if (remote['status'] === 'error' || remote['status'] === 'off') {
        const put = await fhirFetch(access, `Subscription/${existing.remoteId}`, {
          method: 'PUT',
          body: { ...remote, status: 'requested' },
        });
        const updated = asSubscription(put.body);
        if (put.status !== 200 || !updated) {
          throw new Error(
            `could not re-activate Subscription/${existing.remoteId}: ${put.status} ${outcomeText(put.body)}`,
          );
        }
        current = updated;
      }
      return store.saveSubscription({
        fhirBase: access.fhirBase,
        remoteId: existing.remoteId,
        topic: request.topic,
        channel: request.channel ?? 'sse',
        endpoint: endpointOf(current) ?? existing.endpoint,
        heartbeatSeconds: request.heartbeatSeconds,
        owner,
      });
    }
    // Gone on the server (deleted, expired by `end`, database reset): its numbers mean nothing now.
    store.deleteSubscription(existing.key);
  }
  const created = await fhirFetch(access, 'Subscription', {
    method: 'POST',
    body: buildSubscription(request, 'Alert monitor workstation'),
  });
  const resource = asSubscription(created.body);
  const remoteId = str(resource?.id);
  if (created.status !== 201 || !remoteId) {
    throw new Error(`the server refused the subscription: ${created.status} ${outcomeText(created.body)}`);
  }
  const channel = request.channel ?? 'sse';
  // The SSE stream URL comes from the server; the websocket URL comes later from $get-ws-binding-token.
  if (channel === 'sse' && !endpointOf(resource)) {
    throw new Error('the server did not return a stream endpoint for the subscription');
  }
  return store.saveSubscription({
    fhirBase: access.fhirBase,
    remoteId,
    topic: request.topic,
    channel,
    endpoint: endpointOf(resource),
    heartbeatSeconds: request.heartbeatSeconds,
    owner,
  });
}

/**
 * Turn a server-side subscription `off` (sign-out), so nothing keeps collecting events for this user.
 * The resource is read first and written back whole with only its status changed.
 */
export async function turnOffSubscription(access: FhirAccess, remoteId: string): Promise<void> {
  const current = await fhirFetch(access, `Subscription/${remoteId}`);
  if (current.status !== 200) throw new Error(`read answered ${current.status}`);
  const remote = asSubscription(current.body);
  if (!remote) throw new Error('read returned no Subscription');
  const off = await fhirFetch(access, `Subscription/${remoteId}`, {
    method: 'PUT',
    body: { ...remote, status: 'off' },
  });
  if (off.status !== 200) throw new Error(`update answered ${off.status}`);
}
