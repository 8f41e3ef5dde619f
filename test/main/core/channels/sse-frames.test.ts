import { describe, expect, it } from 'vitest';
import { mergeEventNotifications, sseMessageToFrame } from '../../../../src-main/core/channels/sse-frames.ts';
import { eventBundle } from './helpers.ts';

const msg = (event: string | undefined, data: string) => ({ event, id: undefined, data });

describe('sseMessageToFrame (docs/sse-channel.md §3)', () => {
  it('notification events and unnamed events become notification frames', () => {
    for (const name of ['event-notification', undefined]) {
      const r = sseMessageToFrame(msg(name, JSON.stringify(eventBundle(4))), 123);
      expect(r).toMatchObject({ ok: true, frame: { kind: 'notification', receivedAt: 123 } });
    }
  });

  it('control frames keep their signal even with a damaged payload', () => {
    expect(sseMessageToFrame(msg('revoked', 'not json'), 1)).toEqual({
      ok: true,
      frame: { kind: 'revoked', reason: 'unspecified', receivedAt: 1 },
    });
    expect(sseMessageToFrame(msg('token-expiring', '[]'), 1)).toEqual({
      ok: true,
      frame: { kind: 'token-expiring', expiresAt: null, receivedAt: 1 },
    });
    expect(sseMessageToFrame(msg('token-expired', ''), 1)).toEqual({
      ok: true,
      frame: { kind: 'token-expired', receivedAt: 1 },
    });
  });

  it('gap numbers are validated and canonicalised (strings or integers)', () => {
    expect(sseMessageToFrame(msg('gap', '{"requestedAfter":10,"firstAvailable":"043"}'), 1)).toEqual({
      ok: true,
      frame: { kind: 'gap', requestedAfter: '10', firstAvailable: '43', receivedAt: 1 },
    });
    expect(sseMessageToFrame(msg('gap', '{"requestedAfter":"-1","firstAvailable":"3"}'), 1)).toMatchObject({
      ok: false,
    });
  });

  it('a long revocation reason is truncated; unknown event names are ignored', () => {
    const r = sseMessageToFrame(msg('revoked', JSON.stringify({ reason: 'x'.repeat(5000) })), 1);
    expect(r?.ok && r.frame.kind === 'revoked' && r.frame.reason.length).toBe(200);
    expect(sseMessageToFrame(msg('future-thing', '{}'), 1)).toBeNull();
  });
});

describe('mergeEventNotifications (one commit per chunk)', () => {
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
