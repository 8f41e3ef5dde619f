import { describe, expect, it } from 'vitest';
import { joinRun, runFrame, startRun } from '../../../../src-main/core/channels/frame-runs.ts';
import { sseMessageToFrame } from '../../../../src-main/core/channels/sse-frames.ts';
import type { ChannelFrame } from '../../../../src-main/core/channels/types.ts';
import { eventBundle } from './helpers.ts';

const msg = (event: string | undefined, data: string) => ({ event, id: undefined, data });

/** Two frames merged as a run of two, or null when the second may not join the first. */
function mergeEventNotifications(a: ChannelFrame, b: ChannelFrame): ChannelFrame | null {
  const run = startRun(a);
  return joinRun(run, b) ? runFrame(run) : null;
}

describe('frame runs: two frames (one commit per chunk)', () => {
  const frameOf = (data: Record<string, unknown>, event = 'event-notification') => {
    const r = sseMessageToFrame(msg(event, JSON.stringify(data)), 1);
    if (!r?.ok) throw new Error('fixture did not parse');
    return r.frame;
  };

  it('concatenates the events of two event-notifications and keeps the later status', () => {
    const merged = mergeEventNotifications(frameOf(eventBundle(4)), frameOf(eventBundle(5)));
    expect(merged?.kind).toBe('notification');
    if (merged?.kind !== 'notification') return;
    expect(merged.notification.events.map((e) => e.eventNumber)).toEqual(['4', '5']);
    expect(merged.notification.eventsSinceSubscriptionStart).toBe('5');
  });

  it('keeps apart frames that include a resource under the same key (two versions of one result)', () => {
    // Full-resource payloads key the focus by its unversioned fullUrl; each event takes its version from
    // the resource that came with it, so a merged map holding only the later one misdates the first.
    const withResource = (n: number, version: string) => {
      const bundle = eventBundle(n) as { entry: unknown[] };
      bundle.entry.push({
        fullUrl: 'http://127.0.0.1:8080/fhir/Observation/obs-1',
        resource: { resourceType: 'Observation', id: 'obs-1', meta: { versionId: version } },
      });
      return frameOf(bundle);
    };
    expect(mergeEventNotifications(withResource(1, '1'), withResource(2, '2'))).toBeNull();
    const merged = mergeEventNotifications(withResource(1, '1'), frameOf(eventBundle(2)));
    expect(merged?.kind === 'notification' && merged.notification.events.map((e) => e.eventNumber)).toEqual([
      '1',
      '2',
    ]);
  });

  it('never merges control frames or handshakes/heartbeats', () => {
    expect(mergeEventNotifications(frameOf(eventBundle(4)), frameOf({}, 'token-expired'))).toBeNull();
    const heartbeat = frameOf({ ...eventBundle(4) }, 'heartbeat');
    if (heartbeat.kind === 'notification') heartbeat.notification.type = 'heartbeat';
    expect(mergeEventNotifications(frameOf(eventBundle(4)), heartbeat)).toBeNull();
  });
});

describe('frame runs: a whole chunk', () => {
  const frameOf = (data: Record<string, unknown>) => {
    const r = sseMessageToFrame(msg('event-notification', JSON.stringify(data)), 1);
    if (!r?.ok) throw new Error('fixture did not parse');
    return r.frame;
  };
  const withResource = (n: number, id: string) => {
    const bundle = eventBundle(n) as { entry: unknown[] };
    bundle.entry.push({
      fullUrl: `http://127.0.0.1:8080/fhir/Observation/${id}`,
      resource: { resourceType: 'Observation', id, meta: { versionId: String(n) } },
    });
    return frameOf(bundle);
  };

  it('gathers thousands of frames and merges them once: every event in order, the status of the last', () => {
    const run = startRun(frameOf(eventBundle(1)));
    for (let n = 2; n <= 5_000; n += 1) expect(joinRun(run, frameOf(eventBundle(n)))).toBe(true);
    expect(run.frames).toHaveLength(5_000);
    const merged = runFrame(run);
    if (merged.kind !== 'notification') throw new Error('not a notification');
    expect(merged.notification.events).toHaveLength(5_000);
    expect(merged.notification.events.map((e) => Number(e.eventNumber))).toEqual(
      Array.from({ length: 5_000 }, (_, i) => i + 1),
    );
    expect(merged.notification.eventsSinceSubscriptionStart).toBe('5000');
  });

  it('refuses a frame whose resource any earlier frame of the run included, not only the one before', () => {
    const run = startRun(withResource(1, 'obs-1'));
    expect(joinRun(run, withResource(2, 'obs-2'))).toBe(true);
    expect(joinRun(run, withResource(3, 'obs-1'))).toBe(false);
    expect(run.frames).toHaveLength(2);
    const merged = runFrame(run);
    expect(merged.kind === 'notification' && Object.keys(merged.notification.resources).length).toBe(2);
  });

  it('a run of one is the frame itself', () => {
    const only = frameOf(eventBundle(7));
    expect(runFrame(startRun(only))).toBe(only);
  });
});
