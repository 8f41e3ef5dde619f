// The seam between a subscription channel (SSE, websocket, polling) and the monitor pipeline.
import type { ParsedNotification } from '../notifications/types.ts';

export type ChannelFrame =
  | { kind: 'notification'; notification: ParsedNotification; receivedAt: number }
  /** Non-FHIR control frames of the custom SSE channel (docs/sse-channel.md §3). */
  | { kind: 'token-expiring'; expiresAt: string | null; receivedAt: number }
  | { kind: 'revoked'; reason: string; receivedAt: number }
  | { kind: 'token-expired'; receivedAt: number }
  | { kind: 'gap'; requestedAfter: string; firstAvailable: string; receivedAt: number };

export type ChannelState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface ChannelCallbacks {
  /**
   * Handle one frame. The channel awaits this before reading the next frame, so the pipeline can
   * commit durably first (docs/architecture.md). A rejection is reported as a channel error and
   * the stream reconnects from the persisted cursor.
   */
  onFrame(frame: ChannelFrame): Promise<void>;
  onState(state: ChannelState, detail: string | null): void;
  /** A frame that could not be parsed; the stream continues. Message never contains PHI or tokens. */
  onError(message: string): void;
  /**
   * The server answered 401/403. Resolve true after refreshing the token to retry once; false stops
   * the channel ("revoked/401 after refresh → stop", never a retry loop).
   */
  onUnauthorized(status: number): Promise<boolean>;
  /**
   * The server says the subscription no longer exists (Medplum deletes a websocket subscription when
   * its socket closes). The channel stops; the owner re-creates the subscription and catches up.
   */
  onSubscriptionGone?(detail: string): void;
}

export interface Channel {
  start(): void;
  /** Stop for good (logout, revocation); resolves when the connection is closed. */
  stop(): Promise<void>;
  /** Drop the current connection and reconnect now (token refreshed, watchdog fired). */
  reconnect(reason: string): void;
}
