// SSE message → ChannelFrame, per docs/sse-channel.md §3. Pure, so every frame shape is unit-tested
// without a connection.
import { parseJson, record } from '../../shared/fhir-json.ts';
import { normalizeEventNumber, parseNotificationText } from '../notifications/parse-bundle.ts';
import type { ChannelFrame } from './types.ts';
import type { SseMessage } from './sse-decoder.ts';

export type FrameResult = { ok: true; frame: ChannelFrame } | { ok: false; error: string } | null;

const NOTIFICATION_EVENTS = new Set(['handshake', 'heartbeat', 'event-notification']);
const MAX_REASON_CHARS = 200;

/**
 * Map one message. Returns null for event names this client does not know: the contract lets the
 * server add control events, and old clients must ignore them.
 */
export function sseMessageToFrame(message: SseMessage, receivedAt: number): FrameResult {
  const name = message.event ?? 'message';
  // Unnamed events are tried as notification bundles too (third-party SSE gateways do not name them).
  if (NOTIFICATION_EVENTS.has(name) || name === 'message') {
    const parsed = parseNotificationText(message.data);
    if (!parsed.ok) return { ok: false, error: `${name} frame: ${parsed.error}` };
    return { ok: true, frame: { kind: 'notification', notification: parsed.notification, receivedAt } };
  }
  // Control frames: the event name is the signal; a damaged payload must not hide a revocation.
  const body = record(parseJson(message.data));
  switch (name) {
    case 'token-expiring': {
      const expiresAt = body && typeof body['expiresAt'] === 'string' ? body['expiresAt'] : null;
      return { ok: true, frame: { kind: 'token-expiring', expiresAt, receivedAt } };
    }
    case 'revoked': {
      const reason =
        body && typeof body['reason'] === 'string'
          ? body['reason'].slice(0, MAX_REASON_CHARS)
          : 'unspecified';
      return { ok: true, frame: { kind: 'revoked', reason, receivedAt } };
    }
    case 'token-expired':
      return { ok: true, frame: { kind: 'token-expired', receivedAt } };
    case 'gap': {
      const requestedAfter = body ? normalizeEventNumber(body['requestedAfter']) : null;
      const firstAvailable = body ? normalizeEventNumber(body['firstAvailable']) : null;
      if (requestedAfter === null || firstAvailable === null) {
        return {
          ok: false,
          error: 'gap frame: requestedAfter/firstAvailable missing or not decimal integers',
        };
      }
      return { ok: true, frame: { kind: 'gap', requestedAfter, firstAvailable, receivedAt } };
    }
    default:
      return null;
  }
}

/**
 * Merge two event-notification frames of the same subscription and topic into one, so the pipeline can
 * commit frames that arrived in the same network chunk in one transaction (one fsync instead of one per
 * frame; replay of 100k events goes from ~1k to tens of thousands of events/s). Status fields come from
 * the later frame. Null when the frames may not be merged — also when both include a resource under the
 * same key: a full-resource payload keys its focus by an unversioned fullUrl, so two versions of one
 * result (a correction right behind the first report) would leave only the later in the merged map, and
 * each event takes its focus version from the resource that came with it (monitor/ingest.ts).
 */
export function mergeEventNotifications(a: ChannelFrame, b: ChannelFrame): ChannelFrame | null {
  if (a.kind !== 'notification' || b.kind !== 'notification') return null;
  const x = a.notification;
  const y = b.notification;
  if (x.type !== 'event-notification' || y.type !== 'event-notification') return null;
  if (x.subscription !== y.subscription || x.topic !== y.topic) return null;
  if (Object.keys(y.resources).some((key) => Object.hasOwn(x.resources, key))) return null;
  return {
    kind: 'notification',
    receivedAt: a.receivedAt,
    notification: {
      ...y,
      events: [...x.events, ...y.events],
      resources: { ...x.resources, ...y.resources },
      errors: [...x.errors, ...y.errors],
    },
  };
}
