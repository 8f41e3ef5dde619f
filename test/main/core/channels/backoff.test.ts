import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
} from '../../../../src-main/core/channels/backoff.ts';

const opts = { baseMs: 500, capMs: 30_000 };

describe('backoffDelayMs', () => {
  it('full jitter: the delay spans [0, window] and the window doubles', () => {
    expect(backoffDelayMs(0, opts, () => 0)).toBe(0);
    expect(backoffDelayMs(0, opts, () => 1)).toBe(500);
    expect(backoffDelayMs(3, opts, () => 1)).toBe(4000);
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(2000);
  });

  it('is capped at 30 s however many attempts, and for huge attempts does not overflow', () => {
    expect(backoffDelayMs(10, opts, () => 1)).toBe(30_000);
    expect(backoffDelayMs(10_000, opts, () => 1)).toBe(30_000);
  });

  it('a server retry: is a floor under the jitter, still capped', () => {
    expect(backoffDelayMs(0, opts, () => 0, 2000)).toBe(2000);
    expect(backoffDelayMs(0, opts, () => 1, 2000)).toBe(2500);
    expect(backoffDelayMs(0, opts, () => 0, 120_000)).toBe(30_000);
  });
});

describe('parseRetryAfterMs', () => {
  it('delta-seconds and HTTP dates; garbage is null; huge values are bounded', () => {
    const now = Date.parse('2026-11-22T13:30:00Z');
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('Sun, 22 Nov 2026 13:30:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('Sun, 22 Nov 2026 13:29:10 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeNull();
    expect(parseRetryAfterMs(null, now)).toBeNull();
    expect(parseRetryAfterMs('999999', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});
