// The feed says since when this workstation has watched, while that is recent (feed/watching-since.ts).
import { describe, expect, it } from 'vitest';
import type { HealthSnapshot, SubscriptionHealth } from '../../src-main/shared/api.ts';
import { readBackStart, recentWatchStart, WATCH_NOTICE_MS } from '../../src-renderer/feed/watching-since.ts';

const NOW = Date.parse('2026-12-02T21:00:00Z');
const sub = (watchingSince: string | null | undefined) =>
  ({ subscriptionKey: 'k', topic: 't', watchingSince }) as SubscriptionHealth;
const health = (...subs: SubscriptionHealth[]): HealthSnapshot => ({
  at: new Date(NOW).toISOString(),
  subscriptions: subs,
  degraded: null,
});

describe('recentWatchStart', () => {
  it('names the newest subscription’s start while it is under a day old', () => {
    const older = new Date(NOW - 3 * 3600_000).toISOString();
    const newer = new Date(NOW - 600_000).toISOString();
    expect(recentWatchStart(health(sub(older), sub(newer)), NOW)).toBe(newer);
  });

  it('says nothing once every subscription is older than a day, or nothing is known', () => {
    const old = new Date(NOW - WATCH_NOTICE_MS - 1).toISOString();
    expect(recentWatchStart(health(sub(old)), NOW)).toBeNull();
    expect(recentWatchStart(health(sub(null), sub(undefined), sub('not a time')), NOW)).toBeNull();
    expect(recentWatchStart(undefined, NOW)).toBeNull();
  });
});

describe('readBackStart', () => {
  it('names how far back the open criticals were read: the earliest, when several were', () => {
    const early = new Date(NOW - 12 * 3600_000).toISOString();
    const later = new Date(NOW - 2 * 3600_000).toISOString();
    const withReadBack = (readBackFrom: string | null | undefined) =>
      ({ ...sub(later), readBackFrom }) as SubscriptionHealth;
    expect(readBackStart(health(withReadBack(later), withReadBack(early), sub(later)))).toBe(early);
  });

  it('says none when nothing was read back (an older version, a read-back still owed or failing)', () => {
    expect(readBackStart(health(sub(new Date(NOW).toISOString())))).toBeNull();
    expect(
      readBackStart(health({ ...sub(null), readBackFrom: 'not a time' } as SubscriptionHealth)),
    ).toBeNull();
    expect(readBackStart(undefined)).toBeNull();
  });
});
