import { describe, expect, it } from 'vitest';
import { sseMessageToFrame } from '../../../../src-main/core/channels/sse-frames.ts';
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
