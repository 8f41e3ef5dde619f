// What the route modules share: the store, the subscription engine, token verification and settings.
import type pino from 'pino';
import type { TokenVerifier } from './base/grant.ts';
import type { ResourceStore } from './store/resources.ts';
import type { SubscriptionEngine } from './subscriptions/engine.ts';
import type { BindingTokens } from './subscriptions/binding-tokens.ts';

export interface ServerContext {
  origin: string;
  fhirBase: string;
  store: ResourceStore;
  engine: SubscriptionEngine;
  verifier: TokenVerifier;
  bindingTokens: BindingTokens;
  /** Default heartbeat period for subscriptions that set none (seconds). */
  heartbeatSeconds: number;
  /** How long before access-token expiry a stream gets `token-expiring` (seconds). */
  tokenExpiringSeconds: number;
  /** SSE comment keepalive interval (ms); 15 s per the contract, shorter in tests. */
  keepaliveMs: number;
  /** Bytes an SSE/websocket client may leave unread before it is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /**
   * How long a consumer may stay above maxBufferedBytes before it is dropped (a burst is not a slow
   * reader); above 4 × maxBufferedBytes it is dropped at once, to bound memory.
   */
  slowConsumerGraceMs: number;
  limits: StreamLimits;
  logger?: pino.Logger;
}

/** Per-grant and per-socket limits on long-lived channels (docs/server.md, "Limits"). */
export interface StreamLimits {
  /** Open SSE streams and bound websockets one grant may hold; the next is refused with 429. */
  maxStreamsPerGrant: number;
  /** How long a websocket may stay open without binding a subscription before it is closed. */
  websocketBindTimeoutMs: number;
  /** Retry-After (seconds) on a refusal for capacity. */
  retryAfterSeconds: number;
}
