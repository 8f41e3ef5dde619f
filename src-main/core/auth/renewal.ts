// When a token renewal failed: is the answer final (the grant or the client was refused) or worth
// another try (a dropped connection, a timeout, a 5xx, a malformed answer)? Only a refusal ends a
// session; everything else is retried with backoff while the current access token still works
// (docs/auth.md "Renewal that retries").
import * as oc from 'openid-client';

/**
 * OAuth error codes (RFC 6749 §5.2) that mean the grant or the client is refused for good: an
 * invalid, expired or revoked grant, or a client the server no longer accepts. Anything else at the
 * token endpoint (server_error, temporarily_unavailable, invalid_request from a confused proxy, …)
 * is retried.
 */
const REFUSALS: ReadonlySet<string> = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'access_denied',
]);

/** True when the token endpoint refused the grant or the client: renewing again cannot help. */
export function isRefusal(error: unknown): boolean {
  return error instanceof oc.ResponseBodyError && REFUSALS.has(error.error);
}

/** Renewal retry pauses: 1 s doubling to 30 s, with full jitter on the upper half. */
export const RENEWAL_BACKOFF = { baseMs: 1_000, capMs: 30_000 } as const;

export function renewalDelayMs(
  attempt: number,
  random: () => number = Math.random,
  backoff: { baseMs: number; capMs: number } = RENEWAL_BACKOFF,
): number {
  const window = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
  return Math.round(window / 2 + (random() * window) / 2);
}

/** What a failing renewal looks like from outside (health, the session banner). */
export interface RenewalStatus {
  /** When the first failed attempt of this run of failures happened (epoch ms). */
  failingSince: number;
  attempts: number;
  /** The last failure, without tokens (an OAuth error code and description, or a network error). */
  lastError: string;
  /** When the next attempt is due (epoch ms); null while one is running. */
  nextAttemptAt: number | null;
}

/**
 * Thrown by `accessToken()` when there is no usable token for now but the session is not over: the
 * access token expired while renewal keeps failing for a transient reason (Backend Services keeps
 * asking for a new grant with its key). Callers treat it like a network error and try again later.
 */
export class TokenRenewalPendingError extends Error {
  override readonly name = 'TokenRenewalPendingError';
  readonly transient = true;
}
