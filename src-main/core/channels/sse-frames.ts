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
