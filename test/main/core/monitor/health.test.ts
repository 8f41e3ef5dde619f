// Health banner text: silence must never look like calm, also when the connection says "live".
import { describe, expect, it } from 'vitest';
import { createHealthEntry, snapshot } from '../../../../src-main/core/monitor/health.ts';

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
    expect(snapshot([live(31)], true, NOW).degraded).toBe(
      'No heartbeat for 31 s — alerts may not be arriving',
    );
  });

  it('a live subscription with recent heartbeats is calm', () => {
    expect(snapshot([live(12)], true, NOW).degraded).toBeNull();
  });

  it('an open connection that the server never answered is not live', () => {
    const tracker = createHealthEntry('k', 'topic', 10);
    expect(snapshot([tracker.entry], true, NOW).degraded).toBe('No connection yet — connecting');
  });
});
