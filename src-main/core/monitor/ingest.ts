// Ingest: a channel frame becomes durable state. Events are committed (event + alert row + cursor, one
// SQLite transaction) inside the channel's onFrame, which the channel awaits before reading further;
// only after the commit does anything else (enrichment, notification) start. This stage also keeps
// the sequence honest: it detects gaps, and switches a subscription to no-sequence mode when the
// server's event numbers cannot be trusted.
import type { ChannelFrame } from '../channels/types.ts';
import { resolveReference } from '../notifications/parse-bundle.ts';
import type { NotificationEvent } from '../notifications/types.ts';
import { alertId, type CommitResult, type EventSource, type IncomingEvent } from '../store/client-store.ts';
import { reportError, type FollowUps, type PipelineDeps, type SubscriptionState } from './state.ts';

/** A server event as the store takes it; null when its number is not a usable integer. */
export function toIncoming(event: NotificationEvent, fhirBase: string): IncomingEvent | null {
  if (!/^\d{1,15}$/.test(event.eventNumber)) return null;
  const focus = event.focus ? resolveReference(event.focus, fhirBase) : null;
  return {
    eventNumber: Number(event.eventNumber),
    // A focus on another origin is kept out of the store entirely: it can never be fetched with this
    // server's token, so it is reported as a channel error instead.
    focus: focus && focus.sameOrigin ? focus.relative : null,
    occurredAt: event.timestamp,
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
  followUps.enqueueEnrichment(
    result.accepted.filter((e) => e.focus !== null).map((e) => alertId(key, e.eventNumber)),
  );
}

/** Commit a notification's events (or, in no-sequence mode, key them by resource) and follow up. */
export async function commitEvents(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  events: readonly NotificationEvent[],
  source: EventSource,
): Promise<void> {
  // Replayed frames are checked too: a constant-"0" server's events all look like replays of event 0.
  const why = source === 'recovery' ? null : looksUnsequenced(events);
  if (why) enterNoSequenceMode(deps, followUps, sub, why);
  const incoming: IncomingEvent[] = [];
  for (const event of events) {
    const parsed = toIncoming(event, deps.session.fhirBase);
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
    return;
  }
  if (incoming.length === 0) return;
  recordCommit(deps, followUps, sub, deps.store.commitEvents(key, topic, incoming, source), source);
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
  if (sub.record.sequenceMode === 'no-sequence') {
    if (type === 'handshake') followUps.scheduleReconcile(sub);
  } else if (count > cursor) {
    followUps.scheduleGapRecovery(sub);
  }
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
      h.subscriptionStatus = n.status ?? h.subscriptionStatus;
      if (n.eventsSinceSubscriptionStart !== null)
        h.eventsSinceSubscriptionStart = n.eventsSinceSubscriptionStart;
      if (n.type === 'handshake') sub.replayUntil = Number(n.eventsSinceSubscriptionStart ?? '0');
      if (n.type === 'heartbeat' || n.type === 'handshake') {
        onStatusFrame(deps, followUps, sub, n.type, n.eventsSinceSubscriptionStart);
      } else if (n.type === 'event-notification') {
        const replayed = n.events.every((e) => Number(e.eventNumber) <= sub.replayUntil);
        await commitEvents(deps, followUps, sub, n.events, replayed ? 'replay' : 'live');
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
