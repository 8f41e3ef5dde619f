// Health says in red when token renewal is failing or the session ended by itself: silence must never
// look like calm.
import { describe, expect, it } from 'vitest';
import { createHealthEntry, snapshot } from '../../../../src-main/core/monitor/health.ts';

function liveEntry() {
  const tracker = createHealthEntry('base|sub-1', 'critical-lab-result');
  tracker.entry.connection = 'live';
  tracker.entry.subscriptionStatus = 'active';
  return tracker.entry;
}

describe('health snapshot', () => {
  it('is calm with a live stream and a working session', () => {
    const s = snapshot([liveEntry()], true, {
      renewal: null,
      tokenExpiresAt: Date.now() + 60_000,
      signedOutReason: null,
    });
    expect(s.degraded).toBeNull();
    expect(s.tokenRenewal).toBeNull();
  });

  it('says renewal is failing, how many attempts, and until when alerts continue', () => {
    const now = Date.now();
    const s = snapshot([liveEntry()], true, {
      renewal: {
        failingSince: now - 5_000,
        attempts: 3,
        lastError: 'fetch failed (other side closed)',
        nextAttemptAt: now + 4_000,
      },
      tokenExpiresAt: now + 20_000,
      signedOutReason: null,
    });
    expect(s.degraded).toMatch(
      /^Token renewal failing \(3 attempts: fetch failed \(other side closed\)\); retrying\. Alerts continue until the access token expires in (19|20) s\.$/,
    );
    expect(s.tokenRenewal).toMatchObject({ attempts: 3, lastError: 'fetch failed (other side closed)' });
  });

  it('says alerts are not received once the token expired while renewal keeps failing', () => {
    const now = Date.now();
    const s = snapshot([liveEntry()], true, {
      renewal: { failingSince: now - 90_000, attempts: 9, lastError: 'server_error', nextAttemptAt: null },
      tokenExpiresAt: now - 1_000,
      signedOutReason: null,
    });
    expect(s.degraded).toMatch(/alerts are NOT being received until renewal succeeds/);
  });

  it('says why the session ended when the user did not sign out', () => {
    const s = snapshot([], false, {
      renewal: null,
      tokenExpiresAt: null,
      signedOutReason: 'token renewal refused: invalid_grant',
    });
    expect(s.degraded).toBe(
      'Signed out: token renewal refused: invalid_grant — alerts are NOT being received. Sign in again.',
    );
    expect(
      snapshot([], false, { renewal: null, tokenExpiresAt: null, signedOutReason: null }).degraded,
    ).toBeNull();
  });
});
