// Health banner text: silence must never look like calm — a failing token renewal, a session that ended
// by itself, and a "live" connection whose heartbeats stopped are each said in red.
import { describe, expect, it } from 'vitest';
import { createHealthEntry, snapshot } from '../../../../src-main/core/monitor/health.ts';
import {
  CRITICAL_LAB_TOPIC,
  ENCOUNTER_TRANSFER_TOPIC,
  ESCALATION_TOPIC,
} from '../../../../src-main/core/monitor/topics.ts';

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

  it('raises no banner for a topic the server cannot offer whose news is re-read anyway; a stopped alert topic is one', () => {
    const session = { renewal: null, tokenExpiresAt: Date.now() + 60_000, signedOutReason: null };
    const stopped = (topic: string, why: string) => {
      const tracker = createHealthEntry(`unavailable|${topic}`, topic);
      tracker.entry.connection = 'stopped';
      tracker.entry.lastError = why;
      return tracker.entry;
    };
    const critical = { ...liveEntry(), topic: CRITICAL_LAB_TOPIC };
    // Medplum offers no search for a transfer: the ward board re-reads encounters, alerts still arrive.
    const transfer = stopped(
      ENCOUNTER_TRANSFER_TOPIC,
      'the server advertises no topics: a transfer is not a search',
    );
    const calm = snapshot([critical, transfer], true, session);
    expect(calm.degraded).toBeNull();
    expect(calm.subscriptions.find((s) => s.topic === ENCOUNTER_TRANSFER_TOPIC)?.connection).toBe('stopped');
    // Escalation steps addressed here have no other way in: their loss is said.
    const escalation = stopped(ESCALATION_TOPIC, 'refused by the server');
    expect(snapshot([critical, transfer, escalation], true, session).degraded).toBe(
      'Alerts stopped: refused by the server',
    );
    const lost = stopped(CRITICAL_LAB_TOPIC, 'the stream was closed by the server');
    expect(snapshot([lost, transfer], true, session).degraded).toBe(
      'Alerts stopped: the stream was closed by the server',
    );
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

const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

function live(heartbeatSecondsAgo: number) {
  const tracker = createHealthEntry('k', 'topic', 10);
  Object.assign(tracker.entry, {
    connection: 'live',
    lastFrameAt: ago(heartbeatSecondsAgo),
    lastHeartbeatAt: ago(heartbeatSecondsAgo),
  });
  return tracker.entry;
}

describe('health banner', () => {
  it('a live subscription whose heartbeats stopped is degraded, in red, with how long', () => {
    expect(snapshot([live(31)], true, undefined, NOW).degraded).toBe(
      'No heartbeat for 31 s — alerts may not be arriving',
    );
  });

  it('a live subscription with recent heartbeats is calm', () => {
    expect(snapshot([live(12)], true, undefined, NOW).degraded).toBeNull();
  });

  it('an open connection that the server never answered is not live', () => {
    const tracker = createHealthEntry('k', 'topic', 10);
    expect(snapshot([tracker.entry], true, undefined, NOW).degraded).toBe('No connection yet — connecting');
  });
});
