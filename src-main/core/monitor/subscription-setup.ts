// Finding, creating, re-activating and removing the Subscription this workstation listens on, one per
// (server, topic, user). Reuse keeps event numbers and the stored cursor meaningful; finding our own
// on the server before creating one means a start that died after the server created a Subscription
// (but before the answer was read) does not leave a second one behind; a subscription this client
// gives up on (an SSE request the server stored without a stream endpoint, a duplicate) is deleted.
import {
  at,
  bundleResources,
  isResource,
  outcomeMessage,
  str,
  type FhirJsonResource,
} from '../../shared/fhir-json.ts';
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';
import type { Logger } from '../log.ts';
import type { TopicRequest } from '../ports.ts';
import type { ClientStore, SubscriptionRecord } from '../store/client-store.ts';
import type { ServerProfile } from './server-profile.ts';
import {
  backportSubscription,
  channelOf,
  criteriaSubscription,
  hasTag,
  SUBSCRIPTION_REASON,
  type Coding,
} from './subscription-body.ts';
import type { SubscriptionPlan } from './subscription-plan.ts';

export { SSE_CHANNEL_CODING } from './subscription-body.ts';

/** The R4 backport Subscription body for a topic (our SSE channel unless the request says websocket). */
export function buildSubscription(request: TopicRequest, reason: string): Record<string, unknown> {
  return backportSubscription(request, request.channel === 'websocket' ? 'websocket' : 'sse', reason, null);
}

export interface SetupDeps {
  access: FhirAccess;
  store: ClientStore;
  /** The fhirUser the subscription is for. */
  owner: string | null;
  /** This workstation's and user's tag on the subscriptions it creates. */
  tag: Coding;
  profile: ServerProfile;
  logger: Logger;
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

/** The channels to try, in order: SSE only where the server gives it an endpoint. */
function channelsFor(plan: SubscriptionPlan, profile: ServerProfile): Array<'sse' | 'websocket'> {
  if (plan.channel !== 'auto') return [plan.channel];
  return profile.learned.sse === false ? ['websocket'] : ['sse', 'websocket'];
}

function bodyFor(plan: SubscriptionPlan, channel: 'sse' | 'websocket', tag: Coding): Record<string, unknown> {
  return plan.topicBased
    ? backportSubscription(plan.request, channel, SUBSCRIPTION_REASON, tag)
    : criteriaSubscription(plan.criteria, channel, SUBSCRIPTION_REASON, tag);
}

/**
 * Whether an SSE Subscription's stream endpoint can be used: on this FHIR server's origin. A stored
 * endpoint on another origin is never given the token (it may also be stale: the embedded demo server
 * moves to another port at each start while its database keeps the Subscription).
 */
function usableEndpoint(remote: unknown, fhirBase: string): boolean {
  if (channelOf(remote) !== 'sse') return true;
  const endpoint = endpointOf(remote);
  return endpoint !== null && URL.canParse(endpoint) && new URL(endpoint).origin === new URL(fhirBase).origin;
}

/** Whether a server-side Subscription is the one this plan wants, on a channel it accepts. */
function matchesPlan(remote: unknown, plan: SubscriptionPlan, fhirBase: string): boolean {
  const channel = channelOf(remote);
  return (
    at(remote, 'criteria') === plan.criteria &&
    channel !== null &&
    (plan.channel === 'auto' || plan.channel === channel) &&
    usableEndpoint(remote, fhirBase)
  );
}

function save(deps: SetupDeps, plan: SubscriptionPlan, remote: FhirJsonResource): SubscriptionRecord {
  const remoteId = str(remote.id);
  const channel = channelOf(remote);
  if (!remoteId || !channel) throw new Error('the server returned a Subscription without an id or channel');
  return deps.store.saveSubscription({
    fhirBase: deps.access.fhirBase,
    remoteId,
    topic: plan.topic,
    channel,
    endpoint: endpointOf(remote),
    heartbeatSeconds: plan.request.heartbeatSeconds,
    owner: deps.owner,
  });
}

/** Turn an `error`/`off` subscription back on (PUT with status `requested`). */
async function reactivated(access: FhirAccess, remote: FhirJsonResource): Promise<FhirJsonResource> {
  if (remote['status'] !== 'error' && remote['status'] !== 'off') return remote;
  const put = await fhirFetch(access, `Subscription/${String(remote.id)}`, {
    method: 'PUT',
    body: { ...remote, status: 'requested' },
  });
  const updated = asSubscription(put.body);
  if (put.status !== 200 || !updated) {
    throw new Error(
      `could not re-activate Subscription/${String(remote.id)}: ${put.status} ${outcomeText(put.body)}`,
    );
  }
  return updated;
}

/**
 * Whether the server still has a subscription: true, false (404/410), or null when it could not be
 * told (network, 401, 5xx): nothing is retired on a maybe.
 */
export async function subscriptionExists(access: FhirAccess, remoteId: string): Promise<boolean | null> {
  try {
    const { status } = await fhirFetch(access, `Subscription/${encodeURIComponent(remoteId)}`);
    if (status === 200) return true;
    if (status === 404 || status === 410) return false;
    return null;
  } catch {
    return null;
  }
}

/** Delete a subscription this client gives up on; a failure is logged, never fatal. */
export async function deleteSubscription(deps: SetupDeps, remoteId: string, why: string): Promise<void> {
  const done = await fhirFetch(deps.access, `Subscription/${encodeURIComponent(remoteId)}`, {
    method: 'DELETE',
  })
    .then(({ status }) => status < 300 || status === 404 || status === 410)
    .catch(() => false);
  if (done) deps.logger.info({ subscription: remoteId, why }, 'abandoned subscription deleted');
  else deps.logger.warn({ subscription: remoteId, why }, 'could not delete an abandoned subscription');
}

/** The local record, if the server still has that subscription as this plan wants it. */
async function reuseLocal(deps: SetupDeps, plan: SubscriptionPlan): Promise<SubscriptionRecord | null> {
  const existing = deps.store.findSubscription(deps.access.fhirBase, plan.topic, deps.owner);
  if (!existing) return null;
  const { status, body } = await fhirFetch(deps.access, `Subscription/${existing.remoteId}`);
  const remote = status === 200 ? asSubscription(body) : null;
  if (remote && matchesPlan(remote, plan, deps.access.fhirBase))
    return save(deps, plan, await reactivated(deps.access, remote));
  // Only a subscription the server says is gone, or one it shows and that no longer fits, is given up:
  // any other answer (401, 429, 5xx) says nothing about it, and retiring on a maybe loses its events.
  if (!remote && status !== 404 && status !== 410)
    throw new Error(`the server answered ${status} reading Subscription/${existing.remoteId}`);
  // Gone (deleted, expired by `end`, closed with its socket) or no longer what we want: retire the
  // record. Its events and alerts stay; unacknowledged criticals are never lost with a subscription.
  deps.store.retireSubscription(existing.key);
  if (remote)
    await deleteSubscription(deps, existing.remoteId, 'no longer matches what this workstation asks for');
  return null;
}

/** The search for our own subscriptions, narrowed by what the server says it can search on. */
function ownSearch(deps: SetupDeps, plan: SubscriptionPlan): string {
  const params = deps.profile.capabilities.subscriptionSearchParams;
  if (params.has('_tag'))
    return `Subscription?_tag=${encodeURIComponent(`${deps.tag.system}|${deps.tag.code}`)}&_count=100`;
  if (params.has('criteria')) return `Subscription?criteria=${encodeURIComponent(plan.criteria)}&_count=100`;
  return 'Subscription?_count=100';
}

/**
 * Our own subscriptions for this plan already on the server (a previous start created one and died
 * before recording it): the first is reused, any others are duplicates and deleted. Servers that keep
 * websocket subscriptions out of search (Medplum) simply find none.
 */
async function adoptOwn(deps: SetupDeps, plan: SubscriptionPlan): Promise<SubscriptionRecord | null> {
  let ours: FhirJsonResource[];
  try {
    const { status, body } = await fhirFetch(deps.access, ownSearch(deps, plan));
    if (status !== 200) return null;
    ours = bundleResources(body, 'Subscription').filter(
      (s) => hasTag(s, deps.tag) && at(s, 'criteria') === plan.criteria && s['status'] !== 'off',
    );
  } catch {
    return null; // a server that cannot search Subscriptions: create
  }
  const keep = ours.find((s) => matchesPlan(s, plan, deps.access.fhirBase)) ?? null;
  for (const other of ours) {
    if (other === keep) continue;
    const why = matchesPlan(other, plan, deps.access.fhirBase)
      ? 'duplicate of this workstation’s subscription'
      : 'this workstation’s subscription, no longer usable (channel or stream endpoint)';
    await deleteSubscription(deps, String(other.id), why);
  }
  return keep ? save(deps, plan, await reactivated(deps.access, keep)) : null;
}

/**
 * The server answered and would not take the subscription (every channel tried): a lasting refusal,
 * unlike a network failure, so the topic is reported unavailable rather than retried.
 */
export class SubscriptionRefusedError extends Error {
  override readonly name = 'SubscriptionRefusedError';
}

/** Create the subscription, trying the plan's channels in order; an SSE one without endpoint is abandoned. */
async function create(deps: SetupDeps, plan: SubscriptionPlan): Promise<SubscriptionRecord> {
  const channels = channelsFor(plan, deps.profile);
  let lastError = 'no channel to try';
  for (const channel of channels) {
    const created = await fhirFetch(deps.access, 'Subscription', {
      method: 'POST',
      body: bodyFor(plan, channel, deps.tag),
    });
    const resource = asSubscription(created.body);
    const remoteId = str(resource?.id);
    if (created.status !== 201 || !resource || !remoteId) {
      lastError = `the server refused the subscription: ${created.status} ${outcomeText(created.body)}`;
      continue;
    }
    if (channel === 'sse' && !endpointOf(resource)) {
      // Stored as a rest-hook with nowhere to deliver (Medplum): it would never fire. Remove it,
      // remember that this server has no SSE channel, and use the next channel.
      deps.profile.learn({ sse: false });
      await deleteSubscription(deps, remoteId, 'the server gave the SSE channel no stream endpoint');
      lastError = 'the server did not return a stream endpoint for the subscription';
      continue;
    }
    if (channel === 'sse') deps.profile.learn({ sse: true });
    return save(deps, plan, resource);
  }
  throw new SubscriptionRefusedError(lastError);
}

/**
 * Reuse the stored subscription when the server still has it (re-activating one in `error`/`off`), else
 * adopt our own found on the server, else create one. Returns the stored record with its cursor.
 */
export async function ensureSubscription(
  deps: SetupDeps,
  plan: SubscriptionPlan,
): Promise<SubscriptionRecord> {
  return (await reuseLocal(deps, plan)) ?? (await adoptOwn(deps, plan)) ?? create(deps, plan);
}

/**
 * Turn a server-side subscription `off` (sign-out), so nothing keeps collecting events for this user.
 * The resource is read first and written back whole with only its status changed. One the server no
 * longer has (Medplum removes a websocket subscription with its socket) is already off.
 */
export async function turnOffSubscription(access: FhirAccess, remoteId: string): Promise<void> {
  const current = await fhirFetch(access, `Subscription/${remoteId}`);
  if (current.status === 404 || current.status === 410) return;
  if (current.status !== 200) throw new Error(`read answered ${current.status}`);
  const remote = asSubscription(current.body);
  if (!remote) throw new Error('read returned no Subscription');
  const off = await fhirFetch(access, `Subscription/${remoteId}`, {
    method: 'PUT',
    body: { ...remote, status: 'off' },
  });
  if (off.status !== 200) throw new Error(`update answered ${off.status}`);
}
