// Finding, creating and re-activating the R4 backport Subscription this workstation listens on.
// One subscription per (server, topic, user) is reused across restarts so its event numbers, and the
// cursor stored against them, stay meaningful.
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';
import type { ClientStore, SubscriptionRecord } from '../store/client-store.ts';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const SSE_CHANNEL_CODING = {
  system: 'http://alert-monitor.local/fhir/CodeSystem/channel-type',
  code: 'server-sent-events',
} as const;

export interface TopicRequest {
  topic: string;
  /** backport-filter-criteria values, e.g. `Observation?location=Location/ward-a`. */
  filters: string[];
  heartbeatSeconds: number;
  /** Our custom SSE channel (default) or the standard FHIR websocket channel. */
  channel?: 'sse' | 'websocket';
  /**
   * Search for this topic's resources, e.g. `Observation?category=laboratory`, used to reconcile by
   * `_lastUpdated` when the server's notifications carry no usable event numbers or ids.
   */
  reconcileQuery?: string;
}

interface SubscriptionResource {
  resourceType: 'Subscription';
  id?: string;
  status?: string;
  criteria?: string;
  channel?: { endpoint?: string };
}

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

function asSubscription(body: unknown): SubscriptionResource | null {
  if (!body || typeof body !== 'object') return null;
  return (body as { resourceType?: unknown }).resourceType === 'Subscription'
    ? (body as SubscriptionResource)
    : null;
}

function outcomeText(body: unknown): string {
  const issue = (body as { issue?: Array<{ diagnostics?: unknown; details?: { text?: unknown } }> } | null)
    ?.issue?.[0];
  const text = issue?.diagnostics ?? issue?.details?.text;
  return typeof text === 'string' ? text.slice(0, 300) : 'no details';
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
    if (remote && remote.criteria === request.topic && existing.channel === (request.channel ?? 'sse')) {
      let current = remote;
      if (remote.status === 'error' || remote.status === 'off') {
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
        endpoint: current.channel?.endpoint ?? existing.endpoint,
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
  if (created.status !== 201 || !resource?.id) {
    throw new Error(`the server refused the subscription: ${created.status} ${outcomeText(created.body)}`);
  }
  const channel = request.channel ?? 'sse';
  // The SSE stream URL comes from the server; the websocket URL comes later from $get-ws-binding-token.
  if (channel === 'sse' && !resource.channel?.endpoint) {
    throw new Error('the server did not return a stream endpoint for the subscription');
  }
  return store.saveSubscription({
    fhirBase: access.fhirBase,
    remoteId: resource.id,
    topic: request.topic,
    channel,
    endpoint: resource.channel?.endpoint ?? null,
    heartbeatSeconds: request.heartbeatSeconds,
    owner,
  });
}
