// The channel of one subscription: the SSE stream or the FHIR websocket, built once with the callbacks
// that feed the pipeline. Besides frames, the channel's own concerns live here: its connection state
// in health, renewing the token it was opened with, reconnecting only when that gave a new token, the
// server dialect it discovered (remembered in the server profile), noticing that the subscription
// itself may be gone (the owner confirms and re-creates it), and stopping once signed out. Both
// channels are built over the stream origin check (channels/origin-guard.ts): the token goes to the
// FHIR server's origin, or to one the configuration allows, and nowhere else.
import { SignedOutError } from '../auth/session.ts';
import { FinalTokenError } from '../channels/channel-loop.ts';
import { guardedFetch } from '../channels/origin-guard.ts';
import type { Channel, ChannelCallbacks, ChannelState } from '../channels/types.ts';
import { createSseChannel } from '../channels/sse-channel.ts';
import { createWebSocketChannel } from '../channels/websocket-channel.ts';
import { refreshed } from '../fhir/fhir-client.ts';
import type { MonitorSession } from '../ports.ts';
import { handleFrame } from './ingest.ts';
import { reportError, type FollowUps, type PipelineDeps, type SubscriptionState } from './state.ts';

export interface ChannelOptions {
  /** Reconnect backoff (tests shorten it). Default: the channels' own (500 ms base, 30 s cap). */
  backoff?: { baseMs: number; capMs: number };
  /** Origins besides the FHIR base's that a stream URL may name (the deployment's explicit allow-list). */
  allowedStreamOrigins?: readonly string[];
}

/**
 * The connection's token expires soon: renew, and say whether to reconnect, which is only when the
 * renewal produced a different token. Expiry times are not compared (client and server clocks and
 * rounding differ); a failed renewal leaves the stream alone until the server closes it.
 */
export async function renewedToken(session: MonitorSession, usedToken: string | null): Promise<boolean> {
  const renewed = await session
    .refreshNow('server announced token expiry')
    .then(() => session.accessToken())
    .catch(() => null);
  return renewed !== null && renewed !== usedToken;
}

/** The channel's connection state as subscription health. */
export function onConnectionState(
  deps: PipelineDeps,
  sub: SubscriptionState,
  state: ChannelState,
  detail: string | null,
): void {
  const h = sub.health.entry;
  if (state === 'reconnecting') h.reconnects += 1;
  h.connection = state;
  if (detail && state !== 'live') h.lastError = detail;
  const expires = deps.session.tokenExpiresAt();
  h.tokenExpiresAt = expires ? new Date(expires).toISOString() : null;
  deps.pushHealth();
}

/**
 * What the channel's state says about the subscription itself. A channel that stopped without being
 * asked to (the token request or stream said "not found", or any other end) may mean the server no
 * longer has the subscription; on a server known to end a websocket subscription with its socket, a
 * reconnect means the same. The owner confirms with the server before re-creating anything.
 */
function watchSubscription(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  state: ChannelState,
  detail: string | null,
): void {
  if (sub.stopping) return;
  if (state === 'live') {
    if (detail === 'reconnected' && sub.record.channel === 'websocket')
      deps.profile?.learn({ survivesSocket: true });
    sub.everLive = true;
  } else if (state === 'stopped') {
    followUps.subscriptionGone(sub, detail ?? 'the channel stopped');
  } else if (
    state === 'reconnecting' &&
    sub.record.channel === 'websocket' &&
    deps.profile?.learned.survivesSocket === false
  ) {
    followUps.subscriptionGone(sub, 'the server ends a websocket subscription with its socket');
  }
}

/** Build (not start) the channel a subscription record names, feeding its frames to the pipeline. */
export function openChannel(
  deps: PipelineDeps,
  followUps: FollowUps,
  sub: SubscriptionState,
  options: ChannelOptions = {},
): Channel {
  const { record } = sub;
  // Set when the session is over: the channel stops with this reason (shown in health).
  let signedOut: string | null = null;
  const guard = guardedFetch(
    { fhirBase: deps.session.fhirBase, allowedOrigins: options.allowedStreamOrigins ?? [] },
    (why) => reportError(deps, sub, why),
  );
  const callbacks: ChannelCallbacks = {
    onFrame: async (frame) => {
      if (frame.kind === 'token-expiring' && (await renewedToken(deps.session, sub.connectedToken)))
        channel.reconnect('token refreshed');
      await handleFrame(deps, followUps, sub, frame);
    },
    // A refused stream URL ends the channel; health says why in words, not as an HTTP status.
    onState: (state, detail) => {
      const refusal = guard.refusal();
      const why = refusal ?? (state === 'stopped' ? (signedOut ?? detail) : detail);
      onConnectionState(deps, sub, state, why);
      // A channel stopped because the user signed out, or because its stream URL was refused, is not a
      // subscription the server lost.
      if (signedOut === null && refusal === null) watchSubscription(deps, followUps, sub, state, detail);
    },
    onError: (message) => reportError(deps, sub, message),
    onUnauthorized: () => refreshed(deps.session, 'stream answered 401'),
  };
  // Signed out: no token will ever come, so the channel stops (never a loop on "token unavailable").
  // Every channel kind gets this here, whatever its own handling of a failed token source.
  const getAccessToken = async () => {
    try {
      sub.connectedToken = await deps.session.accessToken();
      return sub.connectedToken;
    } catch (error) {
      if (!(error instanceof SignedOutError)) throw error;
      signedOut = error.message;
      queueMicrotask(() => void channel.stop());
      throw new FinalTokenError(error.message);
    }
  };
  const backoff = options.backoff ? { backoff: options.backoff } : {};
  const learned = deps.profile?.learned;
  const channel: Channel =
    record.channel === 'websocket'
      ? // No Last-Event-ID on websockets: each (re)bind's handshake carries the server's count, and a
        // count above our cursor triggers the $events catch-up (ingest.ts). The token method and the
        // bind form are discovered, and what worked is remembered for this server.
        createWebSocketChannel({
          fhirBase: deps.session.fhirBase,
          subscriptionId: record.remoteId,
          getAccessToken,
          callbacks,
          heartbeatSeconds: record.heartbeatSeconds,
          tokenMethod: 'auto',
          bindStyle: 'auto',
          remembered: {
            ...(learned?.tokenMethod ? { tokenMethod: learned.tokenMethod } : {}),
            ...(learned?.bindStyle ? { bindStyle: learned.bindStyle } : {}),
          },
          onLearned: (facts) => deps.profile?.learn(facts),
          fetch: guard.fetch,
          ...backoff,
        })
      : createSseChannel({
          url: sseEndpoint(sub),
          getAccessToken,
          // Local numbers mean nothing to a server without sequence; otherwise always send the cursor,
          // "0" included, so events between creating the Subscription and connecting arrive through
          // the replay rather than through gap recovery.
          getCursor: () =>
            sub.record.sequenceMode === 'no-sequence' ? null : String(deps.store.getCursor(record.key)),
          heartbeatSeconds: record.heartbeatSeconds,
          fetch: guard.fetch,
          ...backoff,
          callbacks,
        });
  sub.health.entry.channel = record.channel === 'websocket' ? 'websocket' : 'sse';
  return channel;
}

function sseEndpoint(sub: SubscriptionState): string {
  if (!sub.record.endpoint) throw new Error(`no stream endpoint for ${sub.record.topic}`);
  return sub.record.endpoint;
}
