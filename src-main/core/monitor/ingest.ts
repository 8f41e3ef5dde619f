// Ingest: a channel frame becomes durable state. Events are committed (event + alert row + cursor, one
// SQLite transaction) inside the channel's onFrame, which the channel awaits before reading further;
// only after the commit does anything else (enrichment, notification) start. This stage also keeps
// the sequence honest: it detects gaps, and switches a subscription to no-sequence mode when the
// server's event numbers cannot be trusted.
import { at, str } from '../../shared/fhir-json.ts';
import type { ChannelFrame } from '../channels/types.ts';
import { resolveReference } from '../notifications/parse-bundle.ts';
import type { NotificationEvent, ParsedNotification } from '../notifications/types.ts';
import type { CommitResult, EventSource, IncomingEvent } from '../store/client-store.ts';
import {
  advanceMark,
  reconciles,
  reportError,
  type FollowUps,
  type PipelineDeps,
  type SubscriptionState,
} from './state.ts';

/**
 * The focus resource a full-resource notification carries: keyed by its fullUrl, which may be absolute
 * while the focus is relative (Medplum), so also found by `Type/id`.
 */
function includedResource(resources: Record<string, unknown>, focus: string, relative: string): unknown {
  const direct = resources[focus] ?? resources[relative];
  if (direct !== undefined) return direct;
  return (
    Object.values(resources).find(
      (resource) =>
        `${str(at(resource, 'resourceType')) ?? ''}/${str(at(resource, 'id')) ?? ''}` === relative,
    ) ?? null
  );
}

/**
 * A server event as the store takes it; null when its number is not a usable integer. The focus
 * version comes from a versioned reference or, for full-resource payloads (Medplum), from the resource
 * that came with the event; its `meta.lastUpdated` too.
 */
export function toIncoming(
  event: NotificationEvent,
  fhirBase: string,
  resources: Record<string, unknown> = {},
): (IncomingEvent & { lastUpdated?: string }) | null {
  if (!/^\d{1,15}$/.test(event.eventNumber)) return null;
  const focus = event.focus ? resolveReference(event.focus, fhirBase) : null;
  const included = event.focus && focus ? includedResource(resources, event.focus, focus.relative) : null;
  const version = focus?.version ?? str(at(included, 'meta', 'versionId'));
  const lastUpdated = str(at(included, 'meta', 'lastUpdated'));
  return {
    eventNumber: Number(event.eventNumber),
    // A focus on another origin is kept out of the store entirely: it can never be fetched with this
    // server's token, so it is reported as a channel error instead.
    focus: focus && focus.sameOrigin ? focus.relative : null,
    occurredAt: event.timestamp,
    ...(version !== null && focus?.sameOrigin ? { version } : {}),
    ...(lastUpdated !== null && focus?.sameOrigin ? { lastUpdated } : {}),
  };
}

/** Why these events show that the server's numbers are unusable, or null when they look fine. */
export function looksUnsequenced(events: readonly NotificationEvent[]): string | null {
  if (events.some((e) => e.eventNumber === '0')) return 'event number 0';
  if (events.some((e) => e.focus === null)) return 'notifications without a focus (empty payload)';
  return null;
}

/** Server numbers are unusable (constant "0", counted again from 1, or no focus to key on). */
export function enterNoSequenceMode(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  why: string,
): void {
  if (sub.record.sequenceMode === 'no-sequence') return;
  sub.record = { ...sub.record, sequenceMode: 'no-sequence' };
  deps.store.setSequenceMode(sub.record.key, 'no-sequence');
  sub.health.entry.lastError = `no usable event numbers (${why}): de-duplicating by resource, reconciling by query`;
  deps.logger.warn({ subscription: sub.record.remoteId, why }, 'switching to no-sequence mode');
  // Whatever the numbers hid until now (events lost while disconnected) is found by one query.
  followUps.scheduleReconcile(sub);
}

/** After a durable commit: tell observers, update health, recover gaps, start enrichment. */
export function recordCommit(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  result: CommitResult,
  source: EventSource,
): void {
  const { key, remoteId, topic } = sub.record;
  for (const { eventNumber, focus, occurredAt } of result.accepted) {
    deps.onAccepted?.({
      subscriptionKey: key,
      subscriptionId: remoteId,
      topic,
      eventNumber,
      focus,
      occurredAt,
      source,
    });
  }
  const h = sub.health.entry;
  h.duplicatesDropped += result.duplicates;
  h.lastEventNumber = String(result.cursor);
  const now = Date.now();
  for (const event of result.accepted) {
    if (event.occurredAt && source === 'live')
      sub.health.recordLatency(Math.max(0, now - Date.parse(event.occurredAt)));
  }
  if (result.gap) {
    h.gapsDetected += 1;
    followUps.scheduleGapRecovery(sub);
  }
  if (source !== 'live') h.gapsRecovered += deps.store.closeFilledGaps(key);
  // Replayed and recovered events are catch-up: summarised when many, never announced as live.
  followUps.enqueueEnrichment(result.alertIds, source !== 'live');
  if (result.recheck.length > 0) followUps.recheckAlerts(result.recheck);
}

/** Commit a notification's events (or, in no-sequence mode, key them by resource) and follow up. */
export async function commitEvents(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  events: readonly NotificationEvent[],
  source: EventSource,
  resources: Record<string, unknown> = {},
): Promise<void> {
  // Replayed frames are checked too: a constant-"0" server's events all look like replays of event 0.
  const why = source === 'recovery' ? null : looksUnsequenced(events);
  if (why) enterNoSequenceMode(deps, followUps, sub, why);
  const incoming: Array<IncomingEvent & { lastUpdated?: string }> = [];
  for (const event of events) {
    const parsed = toIncoming(event, deps.session.fhirBase, resources);
    if (!parsed) {
      reportError(deps, sub, 'event with a non-numeric or out-of-range event number ignored');
      continue;
    }
    if (event.focus && parsed.focus === null)
      reportError(deps, sub, 'focus on another server ignored (claim-check refuses foreign origins)');
    incoming.push(parsed);
  }
  const { key, topic } = sub.record;
  if (sub.record.sequenceMode === 'no-sequence') {
    const withFocus = incoming.filter((e) => e.focus !== null);
    if (withFocus.length > 0)
      recordCommit(deps, followUps, sub, deps.store.commitUnsequenced(key, topic, withFocus, source), source);
    // An empty payload only says "something changed": find out what by query.
    if (withFocus.length < incoming.length || incoming.length === 0) followUps.scheduleReconcile(sub);
  } else if (incoming.length > 0) {
    recordCommit(deps, followUps, sub, deps.store.commitEvents(key, topic, incoming, source), source);
  }
  // Once caught up, what arrives live is accounted for: a later reconciliation starts after it.
  if (sub.caughtUp && source === 'live')
    for (const event of incoming) if (event.lastUpdated) advanceMark(deps, sub, event.lastUpdated);
}

/**
 * A handshake or heartbeat: liveness, the server's count, and what that count implies. A heartbeat may
 * repeat an old event (fhir-candle): liveness only, never new events. A count above the cursor means
 * events were missed (recover after the grace window); a handshake count below it means the server
 * counted again (restart, HAPI).
 */
function onStatusFrame(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  type: 'handshake' | 'heartbeat',
  eventsSinceStart: string | null,
): void {
  const h = sub.health.entry;
  h.lastHeartbeatAt = h.lastFrameAt;
  const count = Number(eventsSinceStart ?? '0');
  const cursor = deps.store.getCursor(sub.record.key);
  if (type === 'handshake' && eventsSinceStart !== null && count < cursor) {
    enterNoSequenceMode(deps, followUps, sub, 'the server count went backwards');
  }
  if (reconciles(sub)) {
    // A handshake is a new binding: whatever happened while unbound is found by one query.
    if (type === 'handshake') {
      sub.caughtUp = false;
      followUps.scheduleReconcile(sub);
    }
  } else if (sub.record.sequenceMode === 'sequence' && count > cursor) {
    followUps.scheduleGapRecovery(sub);
  }
}

/**
 * The status that concerns this subscription: a heartbeat on a socket bound to several subscriptions
 * (Medplum) carries one per subscription, in any order.
 */
export function ownStatus(
  notification: ParsedNotification,
  remoteId: string,
): { status: string | null; eventsSinceSubscriptionStart: string | null } {
  const mine = notification.statuses.find((s) => {
    const tail = s.subscription.split('/').filter(Boolean);
    return tail.at(-1) === remoteId && tail.at(-2) === 'Subscription';
  });
  return mine ?? notification;
}

/**
 * Handle one channel frame. `token-expiring` is the channel's business (channel-lifecycle.ts); here it
 * only counts as a sign of life.
 */
export async function handleFrame(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  frame: ChannelFrame,
): Promise<void> {
  const h = sub.health.entry;
  h.lastFrameAt = new Date(frame.receivedAt).toISOString();
  switch (frame.kind) {
    case 'notification': {
      const n = frame.notification;
      const own = ownStatus(n, sub.record.remoteId);
      h.subscriptionStatus = own.status ?? h.subscriptionStatus;
      if (own.eventsSinceSubscriptionStart !== null)
        h.eventsSinceSubscriptionStart = own.eventsSinceSubscriptionStart;
      if (n.type === 'handshake') sub.replayUntil = Number(own.eventsSinceSubscriptionStart ?? '0');
      if (n.type === 'heartbeat' || n.type === 'handshake') {
        onStatusFrame(deps, followUps, sub, n.type, own.eventsSinceSubscriptionStart);
      } else if (n.type === 'event-notification') {
        // Replay is a matter of numbers: without usable ones (Medplum's constant "0"), an event is live.
        const numbered = sub.record.sequenceMode === 'sequence' && looksUnsequenced(n.events) === null;
        const replayed = numbered && n.events.every((e) => Number(e.eventNumber) <= sub.replayUntil);
        await commitEvents(deps, followUps, sub, n.events, replayed ? 'replay' : 'live', n.resources);
      }
      break;
    }
    case 'gap':
      h.gapsDetected += 1;
      h.lastError = `server no longer holds events after ${frame.requestedAfter}; first available ${frame.firstAvailable}`;
      break;
    case 'revoked':
      h.lastError = `access revoked: ${frame.reason}`;
      break;
    case 'token-expiring':
    case 'token-expired':
      break;
  }
  deps.pushHealth();
}
