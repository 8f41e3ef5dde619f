import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createSseChannel } from '../../../../src-main/core/channels/sse-channel.ts';
import type { SseChannelOptions } from '../../../../src-main/core/channels/sse-channel.ts';
import type { Channel } from '../../../../src-main/core/channels/types.ts';
import {
  eventBundle,
  eventFrame,
  handshakeBundle,
  heartbeatBundle,
  mulberry32,
  openStream,
  recorder,
  sleep,
  sseFrame,
  startServer,
} from './helpers.ts';
import type { Recorder, TestServer } from './helpers.ts';

let server: TestServer | null = null;
let channel: Channel | null = null;

afterEach(async () => {
  await channel?.stop();
  channel = null;
  await server?.close();
  server = null;
});

function makeChannel(
  rec: Recorder,
  overrides: Partial<SseChannelOptions> & { cursor?: { value: string | null } } = {},
): Channel {
  if (!server) throw new Error('start the server first');
  const cursor = overrides.cursor ?? { value: null };
  channel = createSseChannel({
    url: server.url,
    getAccessToken: async () => 'token-abc',
    getCursor: () => cursor.value,
    heartbeatSeconds: 30,
    callbacks: rec.callbacks,
    backoff: { baseMs: 10, capMs: 100 },
    random: () => 0.5,
    ...overrides,
  });
  channel.start();
  return channel;
}

/** Write bytes one slice at a time so the client sees many tiny chunks. */
async function writeSliced(res: ServerResponse, bytes: Buffer, nextSize: () => number): Promise<void> {
  let at = 0;
  while (at < bytes.length && !res.destroyed) {
    const size = Math.max(1, nextSize());
    res.write(bytes.subarray(at, at + size));
    at += size;
    await new Promise((r) => setImmediate(r));
  }
}

/** Wait for the response to drain or close, leaving no listener behind (the loop waits many times). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done).once('close', done);
  });
}
describe('SSE channel: connecting and cursor', () => {
  it('sends bearer, Accept and Last-Event-ID = getCursor() on every (re)connect', async () => {
    const cursor = { value: null as string | null };
    server = await startServer((_req, res, n) => {
      openStream(res);
      if (n === 0) {
        res.end('retry: 10\n\n' + sseFrame('handshake', handshakeBundle(0)) + eventFrame(1));
      } else {
        res.write(eventFrame(2));
      }
    });
    const rec = recorder({
      onFrame: async (f) => {
        if (f.kind === 'notification' && f.notification.type === 'event-notification') {
          cursor.value = f.notification.events[0]?.eventNumber ?? cursor.value;
        }
      },
    });
    makeChannel(rec, { cursor });
    await rec.waitFor(() => rec.eventNumbers().length === 2);
    const [first, second] = server.requests;
    expect(first?.headers['authorization']).toBe('Bearer token-abc');
    expect(first?.headers['accept']).toBe('text/event-stream');
    expect(first?.headers['last-event-id']).toBeUndefined();
    expect(second?.headers['last-event-id']).toBe('1');
    expect(rec.eventNumbers()).toEqual(['1', '2']);
    expect(rec.states[0]).toEqual(['connecting', null]);
    expect(rec.states).toContainEqual(['live', null]);
    expect(rec.states).toContainEqual(['reconnecting', 'stream ended']);
    expect(rec.states).toContainEqual(['live', 'reconnected']);
  });

  it('awaits onFrame before processing the next frame, in order', async () => {
    server = await startServer((_req, res) => {
      openStream(res);
      let body = sseFrame('handshake', handshakeBundle(0));
      for (let i = 1; i <= 25; i++) body += eventFrame(i);
      res.write(body); // one chunk, many frames
    });
    let inFlight = 0;
    let maxInFlight = 0;
    const random = mulberry32(7);
    const rec = recorder({
      onFrame: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(Math.floor(random() * 4));
        inFlight -= 1;
      },
    });
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 25);
    expect(maxInFlight).toBe(1);
    expect(rec.eventNumbers()).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
  });

  it('stop() closes the connection and reports stopped', async () => {
    server = await startServer((_req, res) => {
      openStream(res);
      res.write(sseFrame('handshake', handshakeBundle(0)));
    });
    const rec = recorder();
    const ch = makeChannel(rec);
    await rec.waitFor(() => rec.frames.length === 1);
    await ch.stop();
    expect(rec.states.at(-1)).toEqual(['stopped', 'stopped']);
    expect(server.requests).toHaveLength(1);
  });

  it('reconnect(reason) drops the connection and reconnects at once', async () => {
    server = await startServer((_req, res) => {
      openStream(res);
      res.write(sseFrame('handshake', handshakeBundle(0)));
    });
    const rec = recorder();
    const ch = makeChannel(rec, { backoff: { baseMs: 60_000, capMs: 60_000 } });
    await rec.waitFor(() => rec.frames.length === 1);
    ch.reconnect('token refreshed');
    await rec.waitFor(() => server?.requests.length === 2 && rec.frames.length === 2);
    expect(rec.states).toContainEqual(['reconnecting', 'token refreshed']);
  });
});

describe('SSE channel: control frames', () => {
  it('token-expiring and gap become control frames; revoked stops the channel', async () => {
    server = await startServer((_req, res) => {
      openStream(res);
      res.write(
        sseFrame('token-expiring', { expiresAt: '2026-11-22T14:00:00Z', secondsRemaining: 300 }) +
          sseFrame('gap', { requestedAfter: '10', firstAvailable: '43', reason: 'retention' }) +
          sseFrame('revoked', { reason: 'session ended by administrator' }),
      );
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.states.at(-1)?.[0] === 'stopped');
    expect(rec.frames.map((f) => f.kind)).toEqual(['token-expiring', 'gap', 'revoked']);
    expect(rec.frames[0]).toMatchObject({ expiresAt: '2026-11-22T14:00:00Z' });
    expect(rec.frames[1]).toMatchObject({ requestedAfter: '10', firstAvailable: '43' });
    expect(rec.frames[2]).toMatchObject({ reason: 'session ended by administrator' });
    expect(rec.states.at(-1)).toEqual(['stopped', 'revoked by server']);
    expect(server.requests).toHaveLength(1);
  });

  it('token-expired takes the onUnauthorized path: true reconnects, a later 401 stops', async () => {
    server = await startServer((_req, res, n) => {
      if (n === 0) {
        openStream(res);
        res.end(sseFrame('token-expired', { expiredAt: '2026-11-22T14:00:00Z' }));
      } else if (n === 1) {
        openStream(res);
        res.end(eventFrame(1)); // the refreshed token works
      } else {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }).end();
      }
    });
    const rec = recorder({ onUnauthorized: async () => true });
    makeChannel(rec);
    await rec.waitFor(() => rec.states.at(-1)?.[0] === 'stopped');
    expect(rec.frames.map((f) => f.kind)).toEqual(['token-expired', 'notification']);
    // token-expired → refresh → reconnect; 401 → refresh → retry once → 401 → stop.
    expect(rec.unauthorized).toEqual([401, 401]);
    expect(server.requests).toHaveLength(4);
    expect(rec.states.at(-1)).toEqual(['stopped', 'unauthorized (HTTP 401) after token refresh']);
  });
});

describe('SSE channel: HTTP answers', () => {
  it('403 with onUnauthorized → false stops without retrying', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(403).end();
    });
    const rec = recorder({ onUnauthorized: async () => false });
    makeChannel(rec);
    await rec.waitFor(() => rec.states.at(-1)?.[0] === 'stopped');
    expect(rec.unauthorized).toEqual([403]);
    expect(server.requests).toHaveLength(1);
    expect(rec.states.at(-1)).toEqual(['stopped', 'unauthorized (HTTP 403)']);
  });

  it('404 (unknown subscription) stops; it is not retried in a loop', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(404).end();
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.states.at(-1)?.[0] === 'stopped');
    expect(rec.states.at(-1)).toEqual(['stopped', 'HTTP 404']);
    expect(server.requests).toHaveLength(1);
  });

  it('429 with Retry-After: 1 waits a second before reconnecting', async () => {
    server = await startServer((_req, res, n) => {
      if (n === 0) {
        res.writeHead(429, { 'Retry-After': '1' }).end();
      } else {
        openStream(res);
        res.write(eventFrame(1));
      }
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 1);
    const [a, b] = server.requests;
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('500s back off exponentially (random = 1 → the full window) then recover', async () => {
    server = await startServer((_req, res, n) => {
      if (n < 4) {
        res.writeHead(500).end();
      } else {
        openStream(res);
        res.write(eventFrame(1));
      }
    });
    const rec = recorder();
    makeChannel(rec, { backoff: { baseMs: 40, capMs: 1000 }, random: () => 1 });
    await rec.waitFor(() => rec.eventNumbers().length === 1);
    const at = server.requests.map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    // Windows 40, 80, 160, 320 ms (timer slack allowed).
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(150);
    expect(gaps[3]).toBeGreaterThanOrEqual(300);
    expect(rec.states.filter(([s]) => s === 'reconnecting').map(([, d]) => d)).toEqual([
      'HTTP 500',
      'HTTP 500',
      'HTTP 500',
      'HTTP 500',
    ]);
  });

  it('honours the server retry: field as the reconnect floor', async () => {
    server = await startServer((_req, res, n) => {
      openStream(res);
      if (n === 0) res.end('retry: 400\n\n' + sseFrame('handshake', handshakeBundle(0)));
      else res.write(eventFrame(1));
    });
    const rec = recorder();
    makeChannel(rec, { random: () => 0, backoff: { baseMs: 10, capMs: 1000 } });
    await rec.waitFor(() => rec.eventNumbers().length === 1);
    const [a, b] = server.requests;
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(390);
  });

  it('a 200 that is not text/event-stream is an error and is retried', async () => {
    server = await startServer((_req, res, n) => {
      if (n === 0) {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>proxy login</html>');
      } else {
        openStream(res);
        res.write(eventFrame(1));
      }
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 1);
    expect(rec.errors).toEqual(['stream answered 200 without text/event-stream']);
  });
});

describe('SSE channel: bad streams', () => {
  it('malformed frames → onError (no PHI) and the stream continues', async () => {
    server = await startServer((_req, res) => {
      openStream(res);
      res.write(
        sseFrame('event-notification', '{"resourceType":"Bundle", "name":"John Smith"', '1') +
          sseFrame('event-notification', { resourceType: 'Patient', name: 'John Smith' }, '1') +
          sseFrame('gap', { requestedAfter: 'John', firstAvailable: '3' }) +
          sseFrame('some-future-event', { x: 1 }) +
          'data\n\n' + // P6: a field with no colon
          'bogus: John Smith\n\n' +
          eventFrame(1),
      );
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 1);
    expect(rec.errors).toEqual([
      'event-notification frame: notification is not valid JSON',
      'event-notification frame: notification is not a Bundle',
      'gap frame: requestedAfter/firstAvailable missing or not decimal integers',
      'message frame: notification is not valid JSON',
      'ignored an unknown SSE field',
    ]);
    expect(rec.errors.join(' ')).not.toContain('John');
    expect(server.requests).toHaveLength(1);
  });

  it('a line longer than maxLineBytes (10 MiB) → error, drop, reconnect; nothing after is lost', async () => {
    // The first stream's line never ends: only the client hanging up stops the server writing it (a
    // 256 MiB failsafe stops it for a client that never would). How much the kernel buffered on the way
    // depends on the machine; that the client hung up does not.
    const FAILSAFE = 256 * 1024 * 1024;
    let bytesWrittenOnFirst = 0;
    let firstEndedBy: 'client hung up' | 'failsafe' | null = null;
    server = await startServer(async (_req, res, n) => {
      openStream(res);
      if (n === 0) {
        let hungUp = false;
        res.once('close', () => (hungUp = true));
        res.write(eventFrame(1));
        res.write('data: ');
        const chunk = Buffer.alloc(64 * 1024, 'x');
        while (!hungUp && bytesWrittenOnFirst < FAILSAFE) {
          if (!res.write(chunk)) await drainedOrClosed(res);
          bytesWrittenOnFirst += chunk.length;
        }
        firstEndedBy = hungUp ? 'client hung up' : 'failsafe';
        res.destroy();
      } else {
        res.write(eventFrame(2));
      }
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.eventNumbers().length === 2, 30_000);
    expect(rec.errors).toContain(`SSE line or event exceeds ${1024 * 1024} bytes`);
    expect(rec.states).toContainEqual(['reconnecting', `line exceeds ${1024 * 1024} bytes`]);
    await rec.waitFor(() => firstEndedBy !== null, 30_000);
    expect(firstEndedBy).toBe('client hung up');
    expect(bytesWrittenOnFirst).toBeLessThan(FAILSAFE);
  });

  it('server closing mid-event: the partial event is discarded and replayed from the cursor', async () => {
    const cursor = { value: null as string | null };
    server = await startServer((req, res, n) => {
      openStream(res);
      if (n === 0) {
        const second = eventFrame(2);
        res.write(eventFrame(1) + second.slice(0, second.length / 2));
        setTimeout(() => res.destroy(), 20);
      } else {
        const after = Number(req.headers['last-event-id'] ?? 0);
        for (let i = after + 1; i <= 3; i++) res.write(eventFrame(i));
      }
    });
    const rec = recorder({
      onFrame: async (f) => {
        if (f.kind === 'notification' && f.notification.type === 'event-notification') {
          cursor.value = f.notification.events[0]?.eventNumber ?? cursor.value;
        }
      },
    });
    makeChannel(rec, { cursor });
    await rec.waitFor(() => rec.eventNumbers().length === 3);
    expect(rec.eventNumbers()).toEqual(['1', '2', '3']);
    expect(server.requests[1]?.headers['last-event-id']).toBe('1');
  });

  it('an onFrame rejection → onError and reconnect from the persisted cursor', async () => {
    const cursor = { value: null as string | null };
    let failOnce = true;
    let cursorAtFailure: string | null = null;
    server = await startServer((req, res) => {
      openStream(res);
      const after = Number(req.headers['last-event-id'] ?? 0);
      for (let i = after + 1; i <= 3; i++) res.write(eventFrame(i));
    });
    // Frames of one chunk arrive merged (one commit), so event 2 may come alone or with 1 and 3.
    const rec = recorder({
      onFrame: async (f) => {
        if (f.kind !== 'notification') return;
        const numbers = f.notification.events.map((e) => e.eventNumber);
        if (numbers.includes('2') && failOnce) {
          failOnce = false;
          cursorAtFailure = cursor.value;
          throw new Error('SQLITE_BUSY while storing Observation for John Smith');
        }
        cursor.value = numbers.at(-1) ?? cursor.value;
      },
    });
    makeChannel(rec, { cursor });
    await rec.waitFor(() => !failOnce && cursor.value === '3');
    expect(rec.eventNumbers()).toEqual(['1', '2', '3']);
    expect(rec.errors).toEqual(['frame handler failed; reconnecting from the persisted cursor']);
    expect(server.requests[1]?.headers['last-event-id']).toBe(cursorAtFailure ?? undefined);
  });

  it('heartbeat watchdog: a silent stream is reconnected with the reason', async () => {
    server = await startServer((_req, res, n) => {
      openStream(res);
      if (n > 0) res.write(sseFrame('heartbeat', heartbeatBundle(0)));
      // connection 0 stays silent after the headers
    });
    const rec = recorder();
    makeChannel(rec, { heartbeatSeconds: 0.05, watchdogSlackMs: 100 });
    await rec.waitFor(() => rec.frames.length >= 1);
    expect(rec.states).toContainEqual(['reconnecting', 'watchdog: no data within 0 s']);
  });

  it('the watchdog is paused while onFrame runs (a slow commit is not a dead server)', async () => {
    server = await startServer((_req, res) => {
      openStream(res);
      res.write(eventFrame(1));
    });
    const rec = recorder({ onFrame: () => sleep(400) });
    makeChannel(rec, { heartbeatSeconds: 0.05, watchdogSlackMs: 150 });
    await rec.waitFor(() => rec.frames.length === 1);
    expect(rec.states.filter(([s]) => s === 'reconnecting')).toEqual([]);
  });
});

describe('SSE channel: byte-level robustness over a real loopback connection', () => {
  // BOM, CRLF / CR / LF mixed, comments, broken UTF-8 in a comment and inside a JSON string.
  function trickyStream(): Buffer {
    const parts: Buffer[] = [
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('retry: 2000\r\n\r\n'),
      Buffer.from(sseFrame('handshake', handshakeBundle(0)).replaceAll('\n', '\r\n')),
      Buffer.from(': keepalive \u00e9\u00e8 '),
      Buffer.from([0xc3, 0x28, 0xff, 0xe2, 0x82]),
      Buffer.from('\n'),
      Buffer.from(eventFrame(1).replaceAll('\n', '\r')),
      Buffer.from(eventFrame(2)),
    ];
    const third = JSON.stringify(eventBundle(3)).replace('Observation/obs-3', 'Observation/BROKEN');
    const [before, after] = third.split('BROKEN') as [string, string];
    parts.push(
      Buffer.from(`event: event-notification\r\nid: 3\r\ndata: ${before}`),
      Buffer.from([0xf0, 0x9f, 0x98]), // truncated 4-byte sequence inside a JSON string
      Buffer.from(`${after}\r\n\r\n`),
      Buffer.from(sseFrame('heartbeat', heartbeatBundle(3)).replaceAll('\n', '\r\n')),
    );
    return Buffer.concat(parts);
  }

  async function runWithSlicing(nextSize: () => number): Promise<Recorder> {
    const bytes = trickyStream();
    server = await startServer(async (_req, res) => {
      openStream(res);
      await writeSliced(res, bytes, nextSize);
    });
    const rec = recorder();
    makeChannel(rec);
    await rec.waitFor(() => rec.frames.length === 5, 15_000);
    await channel?.stop();
    await server.close();
    server = null;
    return rec;
  }

  function summary(rec: Recorder): string[] {
    return rec.frames.map((f) =>
      f.kind === 'notification'
        ? `${f.notification.type}:${f.notification.events.map((e) => e.eventNumber).join(',')}`
        : f.kind,
    );
  }

  const expected = [
    'handshake:',
    'event-notification:1',
    'event-notification:2',
    'event-notification:3',
    'heartbeat:',
  ];

  it('1-byte slices', async () => {
    const rec = await runWithSlicing(() => 1);
    expect(summary(rec)).toEqual(expected);
    expect(rec.errors).toEqual([]);
    const third = rec.frames[3];
    expect(third?.kind === 'notification' && third.notification.events[0]?.focus).toBe('Observation/\ufffd');
  });

  it('random slices (seeded)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = mulberry32(seed);
      const rec = await runWithSlicing(() => 1 + Math.floor(random() * 97));
      expect(summary(rec), `seed ${seed}`).toEqual(expected);
    }
  });
});

describe('SSE channel: group commit', () => {
  it('a backlog that arrived while a frame was being handled is delivered together, in order, once', async () => {
    const total = 6000;
    let written = false;
    server = await startServer(async (_req, res) => {
      openStream(res);
      res.write(sseFrame('handshake', handshakeBundle(0)));
      const frames: string[] = [];
      for (let n = 1; n <= total; n += 1) frames.push(eventFrame(n));
      res.write(frames.join(''));
      written = true;
    });
    let held = false;
    const rec = recorder({
      // The first event frame is "committed" slowly: everything else arrives meanwhile.
      onFrame: async (frame) => {
        if (held || frame.kind !== 'notification' || frame.notification.type !== 'event-notification') return;
        held = true;
        await rec.waitFor(() => written, 15_000);
      },
    });
    makeChannel(rec);
    const numbers = () =>
      rec.frames.flatMap((f) =>
        f.kind === 'notification' ? f.notification.events.map((e) => Number(e.eventNumber)) : [],
      );
    await rec.waitFor(() => numbers().length >= total, 30_000);
    expect(numbers()).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // One network chunk per frame would be ≥ 46 frames (3 MiB in ≤ 64 KiB reads); grouped, a handful.
    const eventFrames = rec.frames.filter(
      (f) => f.kind === 'notification' && f.notification.type === 'event-notification',
    );
    expect(eventFrames.length).toBeLessThan(20);
  });
});
