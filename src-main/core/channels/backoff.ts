// Reconnect timing shared by the SSE and websocket channels.

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/** Longest server-requested pause we accept: a bogus Retry-After must not park a clinical channel. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Exponential backoff with full jitter (AWS "Exponential Backoff and Jitter"), capped. A server
 * `retry:` value is a floor: we never come back sooner than the server asked, and the jitter on top
 * still spreads a crowd of clients reconnecting after a server restart.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number,
  retryFloorMs: number | null = null,
): number {
  const window = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(Math.min(options.capMs, (retryFloorMs ?? 0) + r * window));
}

/** `Retry-After` as delta-seconds or an HTTP date; null when absent or unparseable. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
